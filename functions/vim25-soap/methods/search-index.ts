import * as z from 'zod';
import * as Inventory from '../../../lib/core/inventory.js';
import { InstanceUuidSchema } from '../../../lib/core/model.js';
import { moRef } from '../../../lib/dialects/vim25-soap/encoding.js';
import { DATACENTER, VM_FOLDER, ROOT_FOLDER } from '../../../lib/dialects/vim25-soap/inventory.js';
import { sessionOf, soapMethod, type SoapCall } from '../../../lib/dialects/vim25-soap/method.js';
import { Bool, maybe, MoRefParam, one, Text } from '../../../lib/dialects/vim25-soap/params.js';
import { requireSingleton } from './service-instance.js';

const FindByUuidParams = z.object({
  datacenter: maybe(MoRefParam),
  uuid: one(Text.max(64)),
  vmSearch: one(Bool),
  instanceUuid: maybe(Bool),
});

/** The VM with this UUID (a VM here has one UUID: BIOS and instance UUID are the same); hosts are never found. */
async function vmByUuid(call: SoapCall, { datacenter, uuid, vmSearch }: z.output<typeof FindByUuidParams>) {
  requireSingleton(call, 'searchIndex');
  const tenantId = sessionOf(call).tenantId;
  if (!vmSearch || (datacenter && datacenter.value !== DATACENTER.value)) return undefined;
  const parsed = InstanceUuidSchema.safeParse(uuid.trim());
  if (!parsed.success) return undefined;
  const vm = await Inventory.getVmByUuid(tenantId, parsed.data.toLowerCase()).catch(() => undefined);
  return vm && moRef('VirtualMachine', vm.moId);
}

/** SearchIndex.FindByUuid: the VM, or no returnval. */
export const FindByUuid = soapMethod({
  on: 'SearchIndex',
  auth: { kind: 'session' },
  params: FindByUuidParams,
  run: async (params, call) => ({ type: 'ManagedObjectReference', value: await vmByUuid(call, params) }),
});

/** SearchIndex.FindAllByUuid: every VM with the UUID (at most one here). */
export const FindAllByUuid = soapMethod({
  on: 'SearchIndex',
  auth: { kind: 'session' },
  params: FindByUuidParams,
  run: async (params, call) => {
    const found = await vmByUuid(call, params);
    return { type: 'ManagedObjectReference', value: found ? [found] : [] };
  },
});

/**
 * SearchIndex.FindByInventoryPath: `<datacenter>/vm/<name>` (leading `/` optional), the datacenter, its vm
 * folder, or the root (`""`, `/`). A name several VMs share finds the first, as vCenter's folders hold unique names.
 */
export const FindByInventoryPath = soapMethod({
  on: 'SearchIndex',
  auth: { kind: 'session' },
  params: z.object({ inventoryPath: one(Text.max(4096)) }),
  run: async ({ inventoryPath }, call) => {
    requireSingleton(call, 'searchIndex');
    const tenantId = sessionOf(call).tenantId;
    const [datacenter, folder, ...rest] = inventoryPath.replace(/^\//, '').split('/');
    const name = rest.join('/');
    const answer = (value?: unknown) => ({ type: 'ManagedObjectReference', value });
    if (!datacenter) return answer(ROOT_FOLDER);
    if (datacenter !== tenantId) return answer();
    if (folder === undefined) return answer(DATACENTER);
    if (folder !== 'vm') return answer();
    if (!name) return answer(VM_FOLDER);
    const { vms } = await Inventory.selectVms(tenantId, { names: [name] }, 1);
    return answer(vms[0] && moRef('VirtualMachine', vms[0].moId));
  },
});
