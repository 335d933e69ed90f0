import type { DomainError, DomainErrorKind } from '../../core/errors.js';
import type { HttpResponse } from '../../http/types.js';
import { json } from '../../http/responses.js';

/** Keystone's error statuses and titles (keystone/exception.py). */
export const KEYSTONE_ERRORS: Record<DomainErrorKind, { status: number; title: string }> = {
  invalid_argument: { status: 400, title: 'Bad Request' },
  unauthenticated: { status: 401, title: 'Unauthorized' },
  unauthorized: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not Found' },
  no_such_path: { status: 404, title: 'Not Found' },
  not_acceptable: { status: 406, title: 'Not Acceptable' },
  not_allowed_in_current_state: { status: 409, title: 'Conflict' },
  already_exists: { status: 409, title: 'Conflict' },
  resource_busy: { status: 409, title: 'Conflict' },
  unsupported: { status: 501, title: 'Not Implemented' },
  service_unavailable: { status: 503, title: 'Service Unavailable' },
  resource_inaccessible: { status: 500, title: 'Internal Server Error' },
  unable_to_allocate_resource: { status: 500, title: 'Internal Server Error' },
  connection_limit_reached: { status: 403, title: 'Forbidden' },
  timed_out: { status: 500, title: 'Internal Server Error' },
  internal: { status: 500, title: 'Internal Server Error' },
};

/**
 * Keystone's error body: `{"error": {"code", "message", "title"}}`. Like Keystone, a failed authentication
 * says only that authentication is required: which of user, domain or password was wrong stays unsaid.
 */
export function renderKeystoneError(error: DomainError): HttpResponse {
  const entry = KEYSTONE_ERRORS[error.kind];
  const message =
    error.kind === 'unauthenticated' && error.details.reason === 'invalid_login'
      ? 'The request you have made requires authentication.'
      : error.exposable
        ? error.message
        : 'An unexpected error prevented the server from fulfilling your request.';
  return json(entry.status, { error: { code: entry.status, message, title: entry.title } });
}
