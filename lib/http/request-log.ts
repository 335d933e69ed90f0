import { DomainError } from '../core/errors.js';
import { logger } from '../log.js';
import type { EndpointMiddleware, EndpointState } from './context.js';
import type { Dialect, HttpEvent } from './types.js';

/** One `request` log line per request, with its status, duration and error kind; keys name route and dialect. */
export function requestLog(dialect: Dialect): EndpointMiddleware {
  return {
    before: async ({ event, context }) => {
      logger.appendKeys({ requestId: context.endpoint.requestId, route: event.routeKey, dialect: dialect.name });
    },
    after: async ({ event, context, response }) => {
      logRequest(event, response?.statusCode ?? 500, context.endpoint);
    },
    onError: async ({ event, context, response, error }) => {
      logRequest(event, response?.statusCode ?? 500, context.endpoint, error);
    },
  };
}

export function logRequest(event: HttpEvent, status: number, state: EndpointState | undefined, error?: unknown): void {
  if (state?.timedOut) return;
  const durationMs = state ? Date.now() - state.startedAt : undefined;
  const kind = error instanceof DomainError ? error.kind : error ? 'internal' : undefined;
  logger.info('request', { method: event.requestContext?.http?.method, status, durationMs, errorKind: kind });
}
