import * as store from '../store/index.js';
import { isoNow } from './clock.js';
import { AlreadyExists, NotFound, ResourceInaccessible } from './errors.js';
import type { VmSpec } from './model.js';
import { requireLiveTenant } from './tenants.js';
import type { VmRecord } from '../records.js';

/** The error for a VM that is absent or belongs to someone else: the two must be indistinguishable. */
export const vmNotFound = (moId: string) =>
  NotFound(`Virtual machine ${moId} was not found.`, { object: { type: 'VirtualMachine', id: moId } });

/**
 * vCenter answers `resource_inaccessible` for a VM that is disconnected, orphaned, inaccessible or invalid
 * when a request needs its configuration or execution state (a console, its power or tools state).
 */
export function requireStateReadable(vm: VmRecord): void {
  if (vm.connectionState === 'connected') return;
  throw ResourceInaccessible(
    `Virtual machine ${vm.moId} is ${vm.connectionState}; its configuration or execution state cannot be read.`,
    { object: { type: 'VirtualMachine', id: vm.moId }, state: vm.connectionState },
  );
}

/** The VM a read of its power or tools state names: the tenant's own (else not found), its state readable. */
export function requireVmState(vm: VmRecord | undefined, requestedMoId: string): VmRecord {
  if (!vm) throw vmNotFound(requestedMoId);
  requireStateReadable(vm);
  return vm;
}

/**
 * Creates or replaces a VM's record. Replacing it with another instance UUID puts another machine in its
 * place: everything bound to the old one goes (tickets, agent enrolment, guest state). Moving its console
 * (another VNC endpoint) revokes its tickets: they must not open what is there now.
 */
export async function putVm(tenantId: string, moId: string, spec: VmSpec): Promise<VmRecord> {
  await requireLiveTenant(tenantId);
  const [existing, previous] = await Promise.all([store.getVmByUuid(tenantId, spec.instanceUuid), store.getVm(tenantId, moId)]);
  if (existing && existing.moId !== moId) {
    throw AlreadyExists(`Instance UUID ${spec.instanceUuid} already belongs to ${existing.moId}.`, {
      field: 'instanceUuid',
    });
  }
  const now = isoNow();
  const sameMachine = previous?.instanceUuid === spec.instanceUuid;
  // Records written before createdAt existed take their last update as the best known creation time.
  const createdAt = sameMachine ? previous.createdAt ?? previous.updatedAt : now;
  const vm: VmRecord = { ...spec, tenantId, moId, createdAt, updatedAt: now };
  const revoke = previous && revocationFor(previous, vm);
  // Before the put, so a failed revocation leaves the old record for a retry to see; after it again, for a
  // ticket issued from the old record in between.
  await revoke?.();
  await store.putVm(vm);
  await revoke?.();
  return vm;
}

function revocationFor(before: VmRecord, after: VmRecord): (() => Promise<void>) | undefined {
  const { tenantId, moId } = before;
  if (before.instanceUuid !== after.instanceUuid) return () => store.forgetVm(tenantId, moId, before.instanceUuid);
  if (before.vnc.host !== after.vnc.host || before.vnc.port !== after.vnc.port) {
    return () => store.deleteTicketsOf(tenantId, moId);
  }
  return undefined;
}

export async function getVm(tenantId: string, moId: string): Promise<VmRecord> {
  const vm = await store.getVm(tenantId, moId);
  if (!vm) throw vmNotFound(moId);
  return vm;
}

export async function getVmByUuid(tenantId: string, instanceUuid: string): Promise<VmRecord> {
  const vm = await store.getVmByUuid(tenantId, instanceUuid);
  if (!vm) throw vmNotFound(instanceUuid);
  return vm;
}

export const listVms = (tenantId: string): Promise<VmRecord[]> => store.listVms(tenantId);

/** Deletes a VM's record and everything bound to it: tickets, agent enrolment, guest state. */
export async function deleteVm(tenantId: string, moId: string): Promise<void> {
  if (!(await store.deleteVm(tenantId, moId))) throw vmNotFound(moId);
}
