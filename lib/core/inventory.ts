import * as store from '../store/index.js';
import { isoNow } from './clock.js';
import { AlreadyExists, NotFound } from './errors.js';
import type { VmRecord, VmSpec } from './model.js';
import { getTenant } from './tenants.js';

/** The error for a VM that is absent or belongs to someone else: the two must be indistinguishable. */
export const vmNotFound = (moId: string) =>
  NotFound(`Virtual machine ${moId} was not found.`, { object: { type: 'VirtualMachine', id: moId } });

export async function putVm(tenantId: string, moId: string, spec: VmSpec): Promise<VmRecord> {
  await getTenant(tenantId);
  const existing = await store.getVmByUuid(tenantId, spec.instanceUuid);
  if (existing && existing.moId !== moId) {
    throw AlreadyExists(`Instance UUID ${spec.instanceUuid} already belongs to ${existing.moId}.`, {
      field: 'instanceUuid',
    });
  }
  const vm: VmRecord = { ...spec, tenantId, moId, updatedAt: isoNow() };
  await store.putVm(vm);
  return vm;
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

export async function deleteVm(tenantId: string, moId: string): Promise<void> {
  if (!(await store.deleteVm(tenantId, moId))) throw vmNotFound(moId);
}
