import * as store from '../store/index.js';
import { isoNow } from './clock.js';
import { AlreadyExists, NotFound } from './errors.js';
import type { VmRecord, VmSpec } from './model.js';
import { getTenant } from './tenants.js';

/** The error for a VM that is absent or belongs to someone else: the two must be indistinguishable. */
export const vmNotFound = (moId: string) =>
  NotFound(`Virtual machine ${moId} was not found.`, { object: { type: 'VirtualMachine', id: moId } });

/**
 * Creates or replaces a VM's record. When it replaces one whose console was elsewhere (another VNC endpoint or
 * instance), the tickets issued for the old console are revoked: they must not open what is there now.
 */
export async function putVm(tenantId: string, moId: string, spec: VmSpec): Promise<VmRecord> {
  await getTenant(tenantId);
  const [existing, previous] = await Promise.all([store.getVmByUuid(tenantId, spec.instanceUuid), store.getVm(tenantId, moId)]);
  if (existing && existing.moId !== moId) {
    throw AlreadyExists(`Instance UUID ${spec.instanceUuid} already belongs to ${existing.moId}.`, {
      field: 'instanceUuid',
    });
  }
  const vm: VmRecord = { ...spec, tenantId, moId, updatedAt: isoNow() };
  const moved = previous !== undefined && consoleMoved(previous, vm);
  // Before the put, so a failed revocation leaves the old record for a retry to see; after it again, for a
  // ticket issued from the old record in between.
  if (moved) await store.deleteTicketsOf(tenantId, moId);
  await store.putVm(vm);
  if (moved) await store.deleteTicketsOf(tenantId, moId);
  return vm;
}

const consoleMoved = (before: VmRecord, after: VmRecord) =>
  before.instanceUuid !== after.instanceUuid || before.vnc.host !== after.vnc.host || before.vnc.port !== after.vnc.port;

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

/**
 * Deletes a VM's record and revokes its outstanding tickets — also when the record is already gone, so a
 * retry after a failed revocation finishes it.
 */
export async function deleteVm(tenantId: string, moId: string): Promise<void> {
  const existed = await store.deleteVm(tenantId, moId);
  await store.deleteTicketsOf(tenantId, moId);
  if (!existed) throw vmNotFound(moId);
}
