import type { DomainError, DomainErrorKind } from '../../core/errors.js';
import type { HttpResponse } from '../../http/types.js';
import { json } from '../../http/responses.js';

/** vAPI standard errors: the domain kind names the vAPI error; this table gives its HTTP status. */
export const VAPI_ERRORS: Record<DomainErrorKind, { status: number; type: string }> = {
  invalid_argument: { status: 400, type: 'invalid_argument' },
  not_found: { status: 404, type: 'not_found' },
  no_such_path: { status: 404, type: 'not_found' },
  not_allowed_in_current_state: { status: 400, type: 'not_allowed_in_current_state' },
  unauthenticated: { status: 401, type: 'unauthenticated' },
  unauthorized: { status: 403, type: 'unauthorized' },
  service_unavailable: { status: 503, type: 'service_unavailable' },
  resource_busy: { status: 500, type: 'resource_busy' },
  resource_inaccessible: { status: 500, type: 'resource_inaccessible' },
  unable_to_allocate_resource: { status: 500, type: 'unable_to_allocate_resource' },
  connection_limit_reached: { status: 500, type: 'unable_to_allocate_resource' },
  unsupported: { status: 400, type: 'unsupported' },
  already_exists: { status: 400, type: 'already_exists' },
  not_acceptable: { status: 400, type: 'invalid_argument' },
  timed_out: { status: 504, type: 'timed_out' },
  internal: { status: 500, type: 'error' },
};

/** Generic texts for errors whose details belong in the log, not the response. */
const GENERIC_MESSAGES: Partial<Record<DomainErrorKind, string>> = {
  service_unavailable: 'The system is unable to communicate with a service to complete the request.',
  resource_inaccessible: "The virtual machine's configuration or execution state cannot be accessed.",
  internal: 'The system reported an error while responding to the request.',
};
const DEFAULT_GENERIC_MESSAGE = 'The system reported an error while responding to the request.';

function vapiMessages(error: DomainError) {
  const entry = VAPI_ERRORS[error.kind];
  const text = error.exposable ? error.message : GENERIC_MESSAGES[error.kind] ?? DEFAULT_GENERIC_MESSAGE;
  return { entry, messages: [{ args: [], default_message: text, id: `com.vmware.vapi.std.errors.${entry.type}` }] };
}

/** `/rest/...`: `{"type":"com.vmware.vapi.std.errors.<name>","value":{"messages":[...]}}`. */
export function renderRestError(error: DomainError): HttpResponse {
  const { entry, messages } = vapiMessages(error);
  return json(entry.status, { type: `com.vmware.vapi.std.errors.${entry.type}`, value: { messages } });
}

/**
 * `/api/...`: `{"error_type":"NOT_FOUND","messages":[...]}`. Our own APIs (operator, console proxy, guest
 * agent) answer in this shape too.
 */
export function renderApiError(error: DomainError): HttpResponse {
  const { entry, messages } = vapiMessages(error);
  return json(entry.status, { error_type: entry.type.toUpperCase(), messages });
}
