import { config } from '../../config.js';
import type { EndpointMiddleware } from '../../http/context.js';
import { invalidRequest, parseSoapRequest } from './envelope.js';

/**
 * The body middleware of the SOAP endpoint: the request as a vim25 call (./envelope.ts), within
 * MAX_BODY_BYTES (checked before a byte is parsed); anything else is an InvalidRequest fault.
 */
export function soapBody(): EndpointMiddleware {
  return {
    before: async ({ event, context }) => {
      const raw = event.body ?? '';
      const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      if (Buffer.byteLength(text, 'utf8') > config.maxBodyBytes()) {
        throw invalidRequest(`The request body exceeds ${config.maxBodyBytes()} bytes.`);
      }
      context.endpoint.body = parseSoapRequest(text);
    },
  };
}
