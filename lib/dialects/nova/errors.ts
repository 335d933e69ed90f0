import type { DomainErrorKind } from '../../core/errors.js';
import { json, type Dialect } from '../../http/types.js';
import { VersionNotAcceptable } from './microversions.js';

/**
 * Nova's fault names and codes (nova/api/openstack/wsgi.py: Fault._fault_names); a code without a name there
 * (406, 410, 500, 504) is a `computeFault`.
 */
const NOVA_FAULTS: Record<DomainErrorKind, { status: number; name: string }> = {
  invalid_argument: { status: 400, name: 'badRequest' },
  unauthenticated: { status: 401, name: 'unauthorized' },
  unauthorized: { status: 403, name: 'forbidden' },
  not_found: { status: 404, name: 'itemNotFound' },
  not_allowed_in_current_state: { status: 409, name: 'conflictingRequest' },
  already_exists: { status: 409, name: 'conflictingRequest' },
  resource_busy: { status: 409, name: 'conflictingRequest' },
  unsupported: { status: 501, name: 'notImplemented' },
  service_unavailable: { status: 503, name: 'serviceUnavailable' },
  resource_inaccessible: { status: 500, name: 'computeFault' },
  unable_to_allocate_resource: { status: 500, name: 'computeFault' },
  timed_out: { status: 504, name: 'computeFault' },
  internal: { status: 500, name: 'computeFault' },
};

export const nova: Dialect = {
  name: 'nova',
  sessionHeader: 'x-auth-token',
  renderError(error) {
    const fault = error instanceof VersionNotAcceptable ? { status: 406, name: 'computeFault' } : NOVA_FAULTS[error.kind];
    // Nova hides the text of 5xx faults from clients unless the exception is marked safe.
    const message = error.exposable
      ? error.message
      : 'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.';
    return json(fault.status, { [fault.name]: { code: fault.status, message } });
  },
};
