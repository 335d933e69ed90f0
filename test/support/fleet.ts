/**
 * A large tenant for the list tests: its profile and admin through the operator API, then thousands of VM
 * records and users written through the store in BatchWriteItems (25 at a time, a few batches at once), as
 * the operator API would have written them one by one.
 */
import { randomUUID } from 'node:crypto';
import type { VmRecord } from '../../lib/records.js';
import { putPrincipal, putVms } from '../../lib/store/tenants.js';
import { hashPassword } from '../../lib/protocol/secrets.js';
import { api, OPERATOR } from './api.js';
import { boundedAll } from './bounded.js';
import { labVmSpec } from './lab.js';

export interface Fleet {
  tenant: string;
  admin: string;
  password: string;
  /** The VMs seeded, in moId order (`vm-00001`, ...). */
  vms: VmRecord[];
  /** The users seeded besides the admin, in name order. */
  users: string[];
}

/** moIds sort as numbers do: `vm-00042`. */
export const fleetMoId = (index: number) => `vm-${String(index + 1).padStart(5, '0')}`;

/**
 * Seeds `vmCount` VMs named `srv-<n>` (`nameOf` may name some otherwise, e.g. duplicates) and `userCount`
 * users `user-<nnnn>@<tenant>`.
 */
export async function seedFleet(options: {
  prefix: string;
  vmCount: number;
  userCount?: number;
  nameOf?: (index: number) => string | undefined;
}): Promise<Fleet> {
  const tenant = `${options.prefix}-${randomUUID().slice(0, 8)}`;
  const admin = `admin@${tenant}`;
  const password = 'fleet-admin-pass';
  const put = async (path: string, body: unknown) => {
    const response = await api('PUT', `/operator/v1/tenants/${tenant}${path}`, { headers: OPERATOR, body });
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${response.text}`);
  };
  await put('', { displayName: 'Fleet' });
  await put(`/users/${admin}`, { password, privileges: ['VirtualMachine.Interact.ConsoleInteract'] });

  const now = new Date().toISOString();
  const vms = Array.from({ length: options.vmCount }, (_, index): VmRecord => {
    const moId = fleetMoId(index);
    const spec = labVmSpec(moId, { name: options.nameOf?.(index) ?? `srv-${index + 1}` }) as Omit<VmRecord, 'tenantId' | 'moId'>;
    return { ...spec, tenantId: tenant, moId, createdAt: now, updatedAt: now };
  });
  const batches = Math.ceil(vms.length / 250);
  await boundedAll(batches, 4, (batch) => putVms(vms.slice(batch * 250, (batch + 1) * 250)));

  const passwordHash = await hashPassword('fleet-user-pass');
  const users = Array.from({ length: options.userCount ?? 0 }, (_, index) => `user-${String(index).padStart(4, '0')}@${tenant}`);
  await boundedAll(users.length, 8, (index) =>
    putPrincipal({ tenantId: tenant, userName: users[index]!, passwordHash, privileges: [], updatedAt: now }),
  );
  return { tenant, admin, password, vms, users };
}
