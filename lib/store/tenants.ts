import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { client, keysUnder, queryAll, queryPartitionPrefix, send, tableName } from './client.js';
import { deleteItem, deleteItems, getItem, putItem } from './items.js';
import { gsi1, keys, recordOf, SK, type Key } from './keys.js';
import { ticketKeysOf } from './tickets.js';
import type { PrincipalRecord, TenantRecord, VmRecord } from '../records.js';

export async function putTenant(tenant: TenantRecord): Promise<void> {
  await putItem(keys.tenant(tenant.tenantId), tenant, { indexes: gsi1.tenants(tenant.tenantId) });
}

export const getTenant = (tenantId: string): Promise<TenantRecord | undefined> =>
  getItem<TenantRecord>(keys.tenant(tenantId));

export async function listTenants(): Promise<TenantRecord[]> {
  const items = await queryAll({
    IndexName: gsi1.name,
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': gsi1.tenants('').gsi1pk },
  });
  return items.map((item) => recordOf<TenantRecord>(item)!);
}

/** Deletes a tenant with everything in its partition (users, VMs, sessions, tickets). */
export async function deleteTenant(tenantId: string): Promise<void> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.tenantPartition(tenantId) },
    ProjectionExpression: 'pk, sk',
  });
  // The profile goes last, so a failure half-way leaves a tenant that can be deleted again.
  const ordered = [...items.filter((item) => item.sk !== SK.profile), ...items.filter((item) => item.sk === SK.profile)];
  await deleteItems(ordered as unknown as Key[]);
}

export async function putPrincipal(principal: PrincipalRecord): Promise<void> {
  await putItem(keys.principal(principal.tenantId, principal.userName), principal);
}

export const getPrincipal = (tenantId: string, userName: string): Promise<PrincipalRecord | undefined> =>
  getItem<PrincipalRecord>(keys.principal(tenantId, userName));

export async function listPrincipals(tenantId: string): Promise<PrincipalRecord[]> {
  const items = await queryPartitionPrefix(tenantId, SK.userPrefix);
  return items.map((item) => recordOf<PrincipalRecord>(item)!);
}

/** @returns whether the principal existed. */
export async function deletePrincipal(tenantId: string, userName: string): Promise<boolean> {
  return (await deleteItem(keys.principal(tenantId, userName))) !== undefined;
}

export async function putVm(vm: VmRecord): Promise<void> {
  await putItem(keys.vm(vm.tenantId, vm.moId), vm, { indexes: gsi1.vmByUuid(vm.tenantId, vm.instanceUuid) });
}

export const getVm = (tenantId: string, moId: string): Promise<VmRecord | undefined> =>
  getItem<VmRecord>(keys.vm(tenantId, moId));

/** Nova addresses servers by instance UUID. */
export async function getVmByUuid(tenantId: string, instanceUuid: string): Promise<VmRecord | undefined> {
  const index = gsi1.vmByUuid(tenantId, instanceUuid);
  const { Items } = await send(() =>
    client().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: gsi1.name,
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :sk',
        ExpressionAttributeValues: { ':pk': index.gsi1pk, ':sk': index.gsi1sk },
        Limit: 1,
      }),
    ),
  );
  return recordOf<VmRecord>(Items?.[0]);
}

export async function listVms(tenantId: string): Promise<VmRecord[]> {
  const items = await queryPartitionPrefix(tenantId, SK.vmPrefix);
  return items.map((item) => recordOf<VmRecord>(item)!);
}

/**
 * Deletes the VM's record, then everything bound to the VM (see `forgetVm`) — also when the record is
 * already gone, so a retry after a failure half-way finishes the job. @returns whether the record existed.
 */
export async function deleteVm(tenantId: string, moId: string): Promise<boolean> {
  const vm = await deleteItem<VmRecord>(keys.vm(tenantId, moId));
  await forgetVm(tenantId, moId, vm?.instanceUuid);
  return vm !== undefined;
}

/**
 * Deletes everything bound to a VM but its record — tickets, agent enrolment, guest work, results,
 * processes and credential verifiers, Nova console — so nothing of it reaches a machine that takes its place.
 */
export async function forgetVm(tenantId: string, moId: string, instanceUuid: string | undefined): Promise<void> {
  const prefixes = [keys.guestWorkOf(moId), keys.guestResultsOf(moId), keys.processesOf(moId), keys.guestAuthsOf(moId)];
  const found = await Promise.all([ticketKeysOf(tenantId, moId), ...prefixes.map((prefix) => keysUnder(tenantId, prefix))]);
  await deleteItems([
    ...found.flat(),
    keys.agent(tenantId, moId),
    ...(instanceUuid ? [keys.console(tenantId, instanceUuid)] : []),
  ]);
}
