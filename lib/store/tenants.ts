import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { client, keysUnder, queryAll, recordsUnder, send, tableName } from './client.js';
import { placeholders } from './expressions.js';
import { deleteItem, deleteItems, deleteRequest, getItem, putItem, putRequest } from './items.js';
import { gsi1, keys, recordOf, SK } from './keys.js';
import { ticketKeysOf } from './tickets.js';
import type { PrincipalRecord, TenantRecord, VmRecord } from '../records.js';

/** Creates or replaces a tenant's profile, unless it is being deleted. @returns false when it is. */
export async function putTenant(tenant: TenantRecord): Promise<boolean> {
  const notDeleting = 'attribute_not_exists(#deletingSince)';
  return putItem({
    ...putRequest(keys.tenant(tenant.tenantId), tenant, { indexes: gsi1.tenants(tenant.tenantId) }),
    ConditionExpression: notDeleting,
    ...placeholders([notDeleting]),
  });
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
