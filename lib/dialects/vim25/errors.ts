import type { DomainError, DomainErrorKind } from '../../core/errors.js';
import type { HttpResponse } from '../../http/types.js';
import { json, noContent } from '../../http/responses.js';

/**
 * vim25 faults. As govmomi's JSON client (vim25/soap/json_client.go) reads them, a fault is an HTTP 500
 * whose JSON body is the fault object itself, typed by `_typeName`, with its text in `faultstring` and the
 * properties of its type beside them. Unset optional properties are left out, as vSphere leaves them out.
 * `null`: no fault at all but an empty 404, for a path that names no API (an unknown `{release}`, no route).
 */
export const VIM_FAULTS: Record<DomainErrorKind, string | null> = {
  invalid_argument: 'InvalidArgument',
  not_found: 'ManagedObjectNotFound',
  no_such_path: null,
  not_acceptable: 'InvalidArgument',
  not_allowed_in_current_state: 'InvalidState',
  unauthenticated: 'NotAuthenticated',
  unauthorized: 'NoPermission',
  service_unavailable: 'HostCommunication',
  resource_busy: 'InvalidState',
  resource_inaccessible: 'InvalidState',
  unable_to_allocate_resource: 'SystemError',
  connection_limit_reached: 'MksConnectionLimitReached',
  unsupported: 'NotSupported',
  already_exists: 'AlreadyExists',
  timed_out: 'Timedout',
  internal: 'SystemError',
};

type ObjectRef = NonNullable<DomainError['details']['object']>;

export const managedObjectReference = (object: ObjectRef) => ({
  _typeName: 'ManagedObjectReference',
  type: object.type,
  value: object.id,
});

/** The properties each fault type carries, from the domain error's details. */
function faultProperties(typeName: string, error: DomainError): Record<string, unknown> {
  const { field, object, privilege } = error.details;
  switch (typeName) {
    case 'InvalidArgument':
      return field ? { invalidProperty: field } : {};
    case 'ManagedObjectNotFound':
      return object ? { obj: managedObjectReference(object) } : {};
    case 'NoPermission':
      // `object` and `privilegeId` are deprecated since 8.0 in favour of `missingPrivileges`; both are sent.
      return object && privilege
        ? {
            object: managedObjectReference(object),
            privilegeId: privilege,
            missingPrivileges: [
              { _typeName: 'NoPermissionEntityPrivileges', entity: managedObjectReference(object), privilegeIds: [privilege] },
            ],
          }
        : {};
    case 'NotAuthenticated':
      // What vCenter names for a call without a live session (the managed object is the caller's own).
      return { privilegeId: 'System.View' };
    case 'MksConnectionLimitReached':
      return error.details.connectionLimit === undefined ? {} : { connectionLimit: error.details.connectionLimit };
    case 'SystemError':
      return { reason: 'Internal error' };
    default:
      return {};
  }
}

/** vSphere's own wording where clients know it; otherwise the core's message, or a generic one for 5xx kinds. */
function faultString(typeName: string, error: DomainError): string {
  const { field, object } = error.details;
  switch (typeName) {
    case 'NotAuthenticated':
      return 'The session is not authenticated.';
    case 'ManagedObjectNotFound':
      if (object) return `The object 'vim.${object.type}:${object.id}' has already been deleted or has not been completely created`;
      break;
    case 'InvalidArgument':
      if (field) return `A specified parameter was not correct: ${field}`;
      break;
  }
  if (error.exposable) return error.message;
  return typeName === 'InvalidState' ? 'The operation is not allowed in the current state.' : 'A general system error occurred.';
}

/** The fault object of an error, `InvalidLogin` for a refused login. */
export function vimFault(error: DomainError, typeName: string) {
  return { _typeName: typeName, faultstring: faultString(typeName, error), ...faultProperties(typeName, error) };
}

export function renderVimError(error: DomainError): HttpResponse {
  const typeName = error.details.reason === 'invalid_login' ? 'InvalidLogin' : VIM_FAULTS[error.kind];
  return typeName === null ? noContent(404) : json(500, vimFault(error, typeName));
}
