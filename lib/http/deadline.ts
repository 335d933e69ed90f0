import type { Context } from 'aws-lambda';
import { TimedOut } from '../core/errors.js';
import type { EndpointContext, EndpointState } from './context.js';
import { logRequest } from './request-log.js';
import { withResponseHeaders } from './response-headers.js';
import type { Dialect, HttpEvent, HttpResponse } from './types.js';

/**
 * Lambda's timeout ends an invocation without an answer (API Gateway then says 500, serverless-offline a
 * 200 with a stack trace): the dialect's `timed_out` goes out this long before it instead (a third of a short
 * timeout). Generous, since serverless-offline starts its clock before loading the function, and the
 * invocation's clock after.
 */
export const DEADLINE_MARGIN_MS = 2_000;

type Chain = (event: HttpEvent, context: EndpointContext) => Promise<HttpResponse>;

/**
 * The outermost step: starts the request's state and races the whole chain against the invocation's
 * deadline (a middleware cannot race the hooks around it). Without a deadline the chain simply runs.
 */
export function withDeadline(dialect: Dialect, chain: Chain) {
  return async (event: HttpEvent, lambdaContext: Context): Promise<HttpResponse> => {
    const state: EndpointState = {
      requestId: lambdaContext?.awsRequestId ?? event.requestContext?.requestId ?? 'local',
      startedAt: Date.now(),
    };
    const context: EndpointContext = Object.assign(lambdaContext ?? ({} as Context), { endpoint: state });
    const remaining = lambdaContext?.getRemainingTimeInMillis?.();
    if (remaining === undefined) return chain(event, context);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<HttpResponse>((resolve) => {
      // A third of the time, at most, so that a short timeout still leaves the request most of it.
      const margin = Math.min(DEADLINE_MARGIN_MS, remaining / 3);
      timer = setTimeout(() => resolve(answerTimedOut(dialect, event, state)), remaining - margin);
    });
    try {
      return await Promise.race([chain(event, context), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}

function answerTimedOut(dialect: Dialect, event: HttpEvent, state: EndpointState): HttpResponse {
  const error = TimedOut();
  const response = withResponseHeaders(dialect.renderError(error), state);
  logRequest(event, response.statusCode, state, error);
  state.timedOut = true;
  return response;
}
