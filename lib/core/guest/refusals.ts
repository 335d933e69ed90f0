import type { Refusal, WorkPayload } from '../../protocol/agent.js';
import { DomainError, NotFound, ResourceBusy, UnableToAllocateResource, Unauthenticated, Unauthorized, Unsupported } from '../errors.js';

/** What an agent's refusal of a work item means in the domain. */
export function refusalError(reason: Refusal, payload: WorkPayload): DomainError {
  switch (reason) {
    case 'invalid_credentials':
      return Unauthenticated('Failed to authenticate with the guest operating system using the supplied credentials.');
    case 'path_not_accessible':
      return Unauthorized('The program path cannot be accessed in the guest.', { field: 'spec.path' });
    case 'permission_denied':
      return Unauthorized('The guest credentials do not permit this operation.');
    case 'failed_to_start':
      return UnableToAllocateResource('The program could not be started in the guest.');
    case 'busy':
      return ResourceBusy('The virtual machine is busy; retry later.');
    case 'process_not_found':
      return processNotFound(payload.operation === 'terminate' ? payload.pid : 0);
    case 'unsupported':
      return Unsupported('The operation is not supported by VMware Tools in the guest.');
  }
}

export const processNotFound = (pid: number) =>
  NotFound(`Process ${pid} was not found in the guest.`, { object: { type: 'GuestProcess', id: String(pid) } });
