import { DomainError, Internal } from '../core/errors.js';
import { logger } from '../log.js';
import type { EndpointMiddleware } from './context.js';
import type { Dialect, HttpResponse } from './types.js';

/** Every failure answered in the dialect's own error shape; anything not a domain error is an `internal`. */
export function renderErrors(dialect: Dialect): EndpointMiddleware {
  return {
    onError: async (request) => {
      request.response = renderFailure(dialect, request.error);
    },
  };
}

export function renderFailure(dialect: Dialect, error: unknown): HttpResponse {
  if (error instanceof DomainError) {
    if (!error.exposable) logger.error('request failed', { kind: error.kind, error: describeCause(error) });
    const rendered = dialect.renderError(error);
    const retryAfter = error.details.retryAfterSeconds;
    return retryAfter === undefined ? rendered : { ...rendered, headers: { ...rendered.headers, 'retry-after': String(retryAfter) } };
  }
  logger.error('unexpected failure', { error: describeCause(error) });
  return dialect.renderError(Internal());
}

/** Error name and message only: SDK errors can echo request parameters, so no stack or metadata dumps. */
function describeCause(error: unknown): { name?: string; message?: string; cause?: string } {
  const err = error as { name?: string; message?: string; cause?: { name?: string } };
  return { name: err?.name, message: err?.message, cause: err?.cause?.name };
}
