import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { client, keysIn, queryAll, recordsUnder, send, tableName } from './client.js';
import { inPartition, placeholders } from './expressions.js';
import { deleteItem, deleteItems, deleteRequest, getItem, putItem, putRequest } from './items.js';
import { dayOf, gsi1, keys, recordOf, SK } from './keys.js';
import { config } from '../config.js';
import type { PrincipalRecord, TenantRecord, VmRecord } from '../records.js';

export async function putTenant(tenant: TenantRecord): Promise<void> {
  await putItem(putRequest(keys.tenant(tenant.tenantId), tenant, { indexes: gsi1.tenants(tenant.tenantId) }));
}

export const getTenant = (tenantId: string): Promise<TenantRecord | undefined> =>
  getItem(keys.tenant(tenantId));

export async function listTenants(): Promise<TenantRecord[]> {
  const keyCondition = 'gsi1pk = :pk';
  const items = await queryAll({
    TableName: tableName(),
    IndexName: gsi1.name,
    KeyConditionExpression: keyCondition,
    ...placeholders([keyCondition], { pk: gsi1.tenants('').gsi1pk }),
  });
  return items.map((item) => recordOf<TenantRecord>(item)!);
}

/**
 * Deletes a tenant with everything of it: its own partition (profile, users, VMs, consoles), and the
 * partitions keyed by its users (sessions, ticket pointers, login failures), by its VMs (tickets, guest
 * state) and by the days its console audit can still hold live records on.
 */
export async function deleteTenant(tenantId: string): Promise<void> {
  const items = await queryAll({
    TableName: tableName(),
    KeyConditionExpression: inPartition,
    ...placeholders([inPartition], { pk: keys.tenantPartition(tenantId) }),
    ProjectionExpression: 'pk, sk, createdAt',
  });
  const itemKeys = items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
  const namesUnder = (prefix: string) => itemKeys.filter((key) => key.sk.startsWith(prefix)).map((key) => key.sk.slice(prefix.length));
  const createdAt = String(items.find((item) => item.sk === SK.profile)?.createdAt ?? new Date().toISOString());
  const partitions = [
    ...namesUnder(SK.userPrefix).flatMap((userName) => [keys.userPartition(tenantId, userName), keys.loginPartition(tenantId, userName)]),
    ...namesUnder(SK.vmPrefix).flatMap((moId) => [keys.ticketPartition(tenantId, moId), keys.guestPartition(tenantId, moId)]),
    ...auditDaysSince(createdAt).map((day) => keys.auditPartition(tenantId, day)),
  ];
  for (const partition of partitions) await deleteItems(await keysIn(partition));
  // The profile goes last, so a failure half-way leaves a tenant that can be deleted again.
  await deleteItems([...itemKeys.filter((key) => key.sk !== SK.profile), ...itemKeys.filter((key) => key.sk === SK.profile)]);
}

/**
 * The days whose audit partitions can hold live records: from the tenant's creation, but no earlier than the
 * retention (every audit record expires `retention` days after its session ended), to tomorrow.
 */
function auditDaysSince(createdAt: string): string[] {
  const retentionStart = Date.now() - (config.auditRetentionDays() + 1) * 86_400_000;
  const days: string[] = [];
  for (let day = Math.max(Date.parse(createdAt), retentionStart); day <= Date.now() + 86_400_000; day += 86_400_000) {
    days.push(dayOf(new Date(day).toISOString()));
  }
  return [...new Set(days)];
}

export async function putPrincipal(principal: PrincipalRecord): Promise<void> {
  await putItem(putRequest(keys.principal(principal.tenantId, principal.userName), principal));
}

export const getPrincipal = (tenantId: string, userName: string): Promise<PrincipalRecord | undefined> =>
  getItem(keys.principal(tenantId, userName));

export const listPrincipals = (tenantId: string): Promise<PrincipalRecord[]> =>
  recordsUnder<PrincipalRecord>(tenantId, SK.userPrefix);

/** @returns whether the principal existed. */
export async function deletePrincipal(tenantId: string, userName: string): Promise<boolean> {
  return (await deleteItem(deleteRequest(keys.principal(tenantId, userName)))) !== undefined;
}

export async function putVm(vm: VmRecord): Promise<void> {
  await putItem(putRequest(keys.vm(vm.tenantId, vm.moId), vm, { indexes: gsi1.vmByUuid(vm.tenantId, vm.instanceUuid) }));
}

export const getVm = (tenantId: string, moId: string): Promise<VmRecord | undefined> =>
  getItem(keys.vm(tenantId, moId));

/** Nova addresses servers by instance UUID. */
export async function getVmByUuid(tenantId: string, instanceUuid: string): Promise<VmRecord | undefined> {
  const index = gsi1.vmByUuid(tenantId, instanceUuid);
  const keyCondition = 'gsi1pk = :pk AND gsi1sk = :sk';
  // One page of one item: the index holds at most one VM per instance UUID.
  const { Items } = await send(() =>
    client().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: gsi1.name,
        KeyConditionExpression: keyCondition,
        ...placeholders([keyCondition], { pk: index.gsi1pk, sk: index.gsi1sk }),
        Limit: 1,
      }),
    ),
  );
  return recordOf<VmRecord>(Items?.[0]);
}

export const listVms = (tenantId: string): Promise<VmRecord[]> => recordsUnder<VmRecord>(tenantId, SK.vmPrefix);

/**
 * Deletes the VM's record, then everything bound to the VM (see `forgetVm`) — also when the record is
 * already gone, so a retry after a failure half-way finishes the job. @returns whether the record existed.
 */
export async function deleteVm(tenantId: string, moId: string): Promise<boolean> {
  const vm = await deleteItem(deleteRequest(keys.vm(tenantId, moId)));
  await forgetVm(tenantId, moId, vm?.instanceUuid);
  return vm !== undefined;
}

/**
 * Deletes everything bound to a VM but its record — tickets, agent enrolment, guest work, results,
 * processes, credential verifiers and failure counters, Nova console — so nothing of it reaches a machine
 * that takes its place: one Query each of the VM's ticket and guest partitions, exact.
 */
export async function forgetVm(tenantId: string, moId: string, instanceUuid: string | undefined): Promise<void> {
  const found = await Promise.all([keysIn(keys.ticketPartition(tenantId, moId)), keysIn(keys.guestPartition(tenantId, moId))]);
  await deleteItems([...found.flat(), ...(instanceUuid ? [keys.console(tenantId, instanceUuid)] : [])]);
}
