/**
 * Access to a VM: the object a request names (the caller's own, else not found) and the privilege an
 * operation needs on it. Console tickets, guest operations and inventory reads all ask here.
 */
import { Unauthorized } from './errors.js';
import { vmNotFound } from './inventory.js';
import type { Privilege } from './privileges.js';
import type { SessionRecord, VmRecord } from '../records.js';

/** The VM named by a request, or the not-found error that an absent and a foreign VM share. */
export function requireVm(vm: VmRecord | undefined, requested: string): VmRecord {
  if (!vm) throw vmNotFound(requested);
  return vm;
}

export function requirePrivilege(session: SessionRecord, privilege: Privilege, vm: VmRecord): void {
  if (!session.privileges.includes(privilege)) {
    throw Unauthorized(`Permission to perform this operation was denied: ${privilege} is required on ${vm.moId}.`, {
      privilege,
      object: { type: 'VirtualMachine', id: vm.moId },
    });
  }
}
