import type { DomainError, DomainErrorKind } from '../../core/errors.js';
import { json, type Dialect } from '../../http/types.js';

/** vim25 faults: every fault is an HTTP 500 whose body is the fault object, typed by `_typeName`. */
const VIM_FAULTS: Record<DomainErrorKind, string> = {
  invalid_argument: 'InvalidArgument',
  not_found: 'ManagedObjectNotFound',
  not_allowed_in_current_state: 'InvalidState',
  unauthenticated: 'NotAuthenticated',
  unauthorized: 'NoPermission',
  service_unavailable: 'HostCommunication',
  resource_busy: 'InvalidState',
  resource_inaccessible: 'InvalidState',
  unable_to_allocate_resource: 'SystemError',
  unsupported: 'NotSupported',
  already_exists: 'AlreadyExists',
  timed_out: 'Timedout',
  internal: 'SystemError',
};

/** The extra properties each fault type carries, from the domain error's details. */
function faultProperties(typeName: string, error: DomainError): Record<string, unknown> {
  const { details } = error;
  const object = details.object ? { _typeName: 'ManagedObjectReference', type: details.object.type, value: details.object.id } : undefined;
  switch (typeName) {
    case 'InvalidArgument':
      return details.field ? { invalidProperty: details.field } : {};
    case 'ManagedObjectNotFound':
      return object ? { obj: object } : {};
    case 'NoPermission':
      return { object, privilegeId: details.privilege };
    case 'SystemError':
      return { reason: 'Internal error' };
    default:
      return {};
  }
}

export function vimFault(error: DomainError) {
  const typeName = error.details.reason === 'invalid_login' ? 'InvalidLogin' : VIM_FAULTS[error.kind];
  const message = error.exposable ? error.message : 'A general system error occurred.';
  return { _typeName: typeName, faultstring: message, ...faultProperties(typeName, error), faultMessage: [] };
}

export const vim25: Dialect = {
  name: 'vim25',
  sessionHeader: 'vmware-api-session-id',
  renderError: (error) => json(500, vimFault(error)),
};
