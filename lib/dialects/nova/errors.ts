import type { DomainError, DomainErrorKind } from '../../core/errors.js';
import type { HttpResponse } from '../../http/types.js';
import { json } from '../../http/responses.js';

/** The status of each kind in the compute API. */
export const NOVA_STATUS: Record<DomainErrorKind, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  unauthorized: 403,
  not_found: 404,
  no_such_path: 404,
  not_acceptable: 406,
  not_allowed_in_current_state: 409,
  already_exists: 409,
  resource_busy: 409,
  unsupported: 501,
  service_unavailable: 503,
  resource_inaccessible: 500,
  unable_to_allocate_resource: 500,
  // As Nova answers an exceeded quota: 403 Forbidden.
  connection_limit_reached: 403,
  timed_out: 504,
  internal: 500,
};

/** nova/api/openstack/wsgi.py `Fault._fault_names`; any other code is a `computeFault`. */
const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export const faultName = (status: number): string => FAULT_NAMES[status] ?? 'computeFault';

export function renderNovaError(error: DomainError): HttpResponse {
  const status = NOVA_STATUS[error.kind];
  // Nova hides the text of 5xx faults from clients unless the exception is marked safe.
  const message = error.exposable
    ? error.message
    : 'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.';
  return json(status, { [faultName(status)]: { code: status, message } });
}
