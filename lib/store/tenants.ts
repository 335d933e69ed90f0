import { deleteItem, deleteItems, getItem, getItems, putItem, putItems } from './items.js';
import { gsi1, gsi2, keyFits, keys, recordOf, SK, type Key } from './keys.js';
import { keysIn, queryPage, recordsOf, type Page, type PageRequest } from './paging.js';
import { deleteRequest, indexQueryRequest, putRequest, queryUnderRequest, type QueryRequest } from './requests.js';
import { send } from './send.js';
import type { PrincipalRecord, TenantRecord, VmRecord } from '../records.js';

/** Creates or replaces a tenant's profile, unless it is being deleted. @returns false when it is. */
export const putTenant = (tenant: TenantRecord): Promise<boolean> =>
  putItem(
    putRequest(keys.tenant(tenant.tenantId), tenant, {
      indexes: gsi1.tenants(tenant.tenantId),
      only: { condition: 'attribute_not_exists(#deletingSince)' },
    }),
  );

export const getTenant = (tenantId: string): Promise<TenantRecord | undefined> =>
  getItem(keys.tenant(tenantId));

/** A page of a query of the tenant partition under `prefix`, after the item whose key is `after`. */
async function pageUnder<T>(tenantId: string, prefix: string, after: Key | undefined, limit: number): Promise<Page<T>> {
  const start = after ? { ExclusiveStartKey: { pk: after.pk, sk: after.sk } } : {};
  return recordsOf<T>(await queryPage({ ...queryUnderRequest(tenantId, prefix), ...start }, limit));
}

/** Every tenant, a page at a time in tenant id order (gsi1), after the tenant `page.after`. */
export const listTenants = async (page: PageRequest): Promise<Page<TenantRecord>> =>
  recordsOf<TenantRecord>(await queryPage(indexPageRequest(gsi1.name, gsi1.tenants('').gsi1pk, page.after), page.limit));

/** A page of the index partition `pk` after the sort key `after` (from its start without one). */
function indexPageRequest(index: string, pk: string, after: string | undefined): QueryRequest {
  const keyCondition = after === undefined ? `${index}pk = :pk` : `${index}pk = :pk AND ${index}sk > :after`;
  return indexQueryRequest(index, keyCondition, { values: { pk, ...(after === undefined ? {} : { after }) } });
}


export async function putPrincipal(principal: PrincipalRecord): Promise<void> {
  await putItem(putRequest(keys.principal(principal.tenantId, principal.userName), principal));
}

export const getPrincipal = (tenantId: string, userName: string): Promise<PrincipalRecord | undefined> =>
  getItem(keys.principal(tenantId, userName));

/**
 * A page of the tenant's users in user name order. The page starts after the key rebuilt from the tenant and
 * `page.after`, so no cursor reaches another tenant's partition.
 */
export const listPrincipals = (tenantId: string, page: PageRequest): Promise<Page<PrincipalRecord>> =>
  pageUnder(tenantId, SK.userPrefix, page.after === undefined ? undefined : keys.principal(tenantId, page.after), page.limit);

/** @returns whether the principal existed. */
export async function deletePrincipal(tenantId: string, userName: string): Promise<boolean> {
  return (await deleteItem(deleteRequest(keys.principal(tenantId, userName)))) !== undefined;
}

const vmPut = (vm: VmRecord) =>
  putRequest(keys.vm(vm.tenantId, vm.moId), vm, {
    indexes: { ...gsi1.vmByUuid(vm.tenantId, vm.instanceUuid), ...gsi2.vmByName(vm.tenantId, vm.name, vm.moId) },
  });

export async function putVm(vm: VmRecord): Promise<void> {
  await putItem(vmPut(vm));
}

/** Writes many new VM records, 25 to a BatchWriteItem (seeding a large inventory: the bench, the tests). */
export const putVms = (vms: VmRecord[]): Promise<void> => putItems(vms.map(vmPut));

export const getVm = (tenantId: string, moId: string): Promise<VmRecord | undefined> =>
  getItem(keys.vm(tenantId, moId));

/** Nova addresses servers by instance UUID. */
export async function getVmByUuid(tenantId: string, instanceUuid: string): Promise<VmRecord | undefined> {
  const index = gsi1.vmByUuid(tenantId, instanceUuid);
  if (!keyFits({ pk: index.gsi1pk, sk: index.gsi1sk })) return undefined;
  // One page of one item: the index holds at most one VM per instance UUID.
  const request = indexQueryRequest(gsi1.name, 'gsi1pk = :pk AND gsi1sk = :sk', { values: { pk: index.gsi1pk, sk: index.gsi1sk }, limit: 1 });
  const { Items } = await send('Query', request);
  return recordOf<VmRecord>(Items?.[0]);
}

/** A page of the tenant's VMs in moId order, after the VM `page.after` (its key rebuilt in this tenant). */
export const listVms = (tenantId: string, page: PageRequest): Promise<Page<VmRecord>> =>
  pageUnder(tenantId, SK.vmPrefix, page.after === undefined ? undefined : keys.vm(tenantId, page.after), page.limit);

/**
 * A page of the tenant's VMs named exactly `name`, in moId order after `page.after`: one query of one small
 * gsi2 partition, whatever the tenant's size.
 */
export async function findVmsByName(tenantId: string, name: string, page: PageRequest): Promise<Page<VmRecord>> {
  const index = gsi2.vmByName(tenantId, name, page.after ?? '');
  if (!keyFits({ pk: index.gsi2pk, sk: index.gsi2sk })) return { items: [], more: false };
  return recordsOf<VmRecord>(await queryPage(indexPageRequest(gsi2.name, index.gsi2pk, page.after), page.limit));
}

/** The tenant's VMs of these moIds that exist, in BatchGetItems of 100 keys (DynamoDB's bound). */
export async function getVms(tenantId: string, moIds: string[]): Promise<VmRecord[]> {
  const found: VmRecord[] = [];
  const unique = [...new Set(moIds)];
  for (let start = 0; start < unique.length; start += 100) {
    const batch = await getItems(unique.slice(start, start + 100).map((moId) => keys.vm(tenantId, moId)));
    found.push(...batch.filter((vm): vm is VmRecord => vm !== undefined));
  }
  return found;
}

/**
 * Deletes the VM's record, then everything bound to the VM (see `forgetVm`) — also when the record is
 * already gone, so a retry after a failure half-way finishes the job. @returns whether the record existed.
 */
export async function deleteVm(tenantId: string, moId: string): Promise<boolean> {
  const vm = await deleteItem(deleteRequest(keys.vm(tenantId, moId)));
  // Its open consoles too (a tenant's drain removes them all at once: deleteOpenConsolesOfTenant).
  await Promise.all([forgetVm(tenantId, moId, vm?.instanceUuid), deleteItems(await keysIn(keys.openConsolePartition(tenantId, moId)))]);
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
