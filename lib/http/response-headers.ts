import type { EndpointMiddleware, EndpointState } from './context.js';
import type { HttpResponse } from './types.js';

/** Adds the headers a step declared for every answer to this request (`responseHeaders`), faults included. */
export function responseHeaders(): EndpointMiddleware {
  const add = async (request: { response: HttpResponse | null | undefined; context: { endpoint: EndpointState } }) => {
    if (request.response) request.response = withResponseHeaders(request.response, request.context.endpoint);
  };
  return { after: add, onError: add };
}

export const withResponseHeaders = (response: HttpResponse, state: EndpointState): HttpResponse =>
  state.responseHeaders ? { ...response, headers: { ...response.headers, ...state.responseHeaders } } : response;
