import { config } from '../config.js';
import { InvalidArgument } from '../core/errors.js';
import type { EndpointMiddleware } from './context.js';
import type { HttpEvent } from './types.js';

/** The request body parsed as JSON (base64 too), within the size limit; an empty body is no body. */
export function jsonBody(): EndpointMiddleware {
  return {
    before: async ({ event, context }) => {
      context.endpoint.body = parseBody(event);
    },
  };
}

export function parseBody(event: HttpEvent): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > config.maxBodyBytes()) {
    throw InvalidArgument(`The request body exceeds ${config.maxBodyBytes()} bytes.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw InvalidArgument('The request body is not valid JSON.');
  }
}
