import type { TenantRecord } from '../records.js';
import { config } from '../config.js';
import { nowMs } from '../core/clock.js';
import { partitionQueryRequest, queryAll, queryPage, tableName } from './client.js';
import { exists, placeholders } from './expressions.js';
import { deleteIf, deleteItem, deleteItems, deleteRequest, getItem, updateItem } from './items.js';
import { dayOf, gsi1, keys, recordOf, SK, type Key } from './keys.js';
import { deleteOpenConsolesOfTenant } from './open-consoles.js';
import { revokeUser } from './sessions.js';
import { forgetVm } from './tenants.js';

/**
 * The store side of deleting a tenant: the mark, the drain job's lease, and "delete one bounded batch of what
 * remains; say whether anything does". Every batch re-derives what is left from the table, so a run killed
 * half-way is resumed by the next one with nothing to remember.
 */

const deleting = 'attribute_exists(#deletingSince)';

/**
 * Marks the tenant deleting in one conditional write; a second mark keeps the first one's time.
 * @returns the tenant as marked, or undefined when there is no such tenant.
 */
export async function markTenantDeleting(tenantId: string, since: string): Promise<TenantRecord | undefined> {
  const update = 'SET #deletingSince = if_not_exists(#deletingSince, :since)';
  const marked = await updateItem({
    TableName: tableName(),
    Key: keys.tenant(tenantId),
    UpdateExpression: update,
    ConditionExpression: exists,
    ...placeholders([update, exists], { since }),
    ReturnValues: 'ALL_NEW',
  });
  return recordOf<TenantRecord>(marked);
}

/** The tenants marked deleting, for the sweeper (the tenants index: one item per tenant). */
export async function listDeletingTenants(): Promise<string[]> {
  const keyCondition = 'gsi1pk = :pk';
  const items = await queryAll({
    TableName: tableName(),
    IndexName: gsi1.name,
    KeyConditionExpression: keyCondition,
    FilterExpression: deleting,
    ProjectionExpression: '#tenantId',
    ...placeholders([keyCondition, deleting, '#tenantId'], { pk: gsi1.tenants('').gsi1pk }),
  });
  return items.map((item) => String(item.tenantId));
}

/**
 * Takes (or renews) the drain lease for `chain` until `untilSeconds` (epoch seconds): free, lapsed or already this
 * chain's. The lease only keeps chains of runs from duplicating work: every step is idempotent, so two
 * chains at once (a lease that lapsed under a slow batch) cost writes, never correctness.
 * @returns whether `chain` holds it.
 */
export async function claimTenantDrain(tenantId: string, chain: string, untilSeconds: number): Promise<boolean> {
  const update = 'SET #chain = :chain, #expiresAt = :until, #tenantId = :tenantId';
  const condition = 'attribute_not_exists(#chain) OR #chain = :chain OR #expiresAt <= :now';
  const claimed = await updateItem({
    TableName: tableName(),
    Key: keys.tenantDrainLease(tenantId),
    UpdateExpression: update,
    ConditionExpression: condition,
    ...placeholders([update, condition], { chain, until: untilSeconds, tenantId }),
  });
  return claimed !== undefined;
}

/** Items of the tenant partition the drain leaves for its last step. */
const keptToTheEnd = new Set<string>([SK.profile, SK.drainLease]);

/** Units of bounded work deleted at once within a batch. */
const UNITS_IN_FLIGHT = 8;

/**
 * Deletes one bounded batch (at most `maxItems` items of the tenant partition, with what hangs off each:
 * a VM's tickets and guest state, a user's sessions, tickets and login failures; once the tenant partition
 * holds nothing else, up to `maxItems` of its console audit, day by day) and says whether anything of the
 * tenant is left but its profile and the drain's lease. The partition is read from its start each time:
 * what earlier batches deleted is gone, so nothing needs remembering between runs (the audit walk's day is
 * kept on the lease only to skip days already found empty).
 */
export async function drainTenantBatch(tenantId: string, maxItems: number): Promise<{ deleted: number; remains: boolean }> {
  const page = await queryPage(
    partitionQueryRequest(keys.tenantPartition(tenantId), undefined, { projection: 'pk, sk, instanceUuid, createdAt' }),
    maxItems,
  );
  const found = page.items.filter((item) => !keptToTheEnd.has(String(item.sk)));
  if (found.length === 0 && !page.more) {
    const openConsoles = await deleteOpenConsolesOfTenant(tenantId);
    if (openConsoles > 0) return { deleted: openConsoles, remains: true };
    const profile = page.items.find((item) => item.sk === SK.profile);
    return drainAuditBatch(tenantId, String(profile?.createdAt ?? new Date(nowMs()).toISOString()), maxItems);
  }
  const others: Key[] = [];
  const units: (() => Promise<void>)[] = [];
  for (const item of found) {
    const sk = String(item.sk);
    if (sk.startsWith(SK.vmPrefix)) {
      units.push(() => deleteVmUnit(tenantId, sk.slice(SK.vmPrefix.length), item.instanceUuid as string | undefined));
    } else if (sk.startsWith(SK.userPrefix)) {
      units.push(() => deleteUserUnit(tenantId, sk.slice(SK.userPrefix.length)));
    } else {
      others.push({ pk: String(item.pk), sk });
    }
  }
  for (let start = 0; start < others.length; start += 25) {
    const chunk = others.slice(start, start + 25);
    units.push(() => deleteItems(chunk));
  }
  await inFlight(units, UNITS_IN_FLIGHT);
  return { deleted: found.length, remains: true };
}

/**
 * Up to `maxItems` of the tenant's console audit, from the first day that can still hold a live record on
 * (the later of its creation and the retention window) to tomorrow, skipping the days an earlier batch found
 * empty. @returns whether any day may still hold records.
 */
async function drainAuditBatch(tenantId: string, createdAt: string, maxItems: number): Promise<{ deleted: number; remains: boolean }> {
  const lease = keys.tenantDrainLease(tenantId);
  const doneBefore = (await getItem(lease))?.auditDoneBefore;
  const days = auditDaysSince(createdAt).filter((day) => doneBefore === undefined || day >= doneBefore);
  let deleted = 0;
  for (const day of days) {
    const page = await queryPage(partitionQueryRequest(keys.auditPartition(tenantId, day), undefined, { projection: 'pk, sk' }), maxItems - deleted);
    await deleteItems(page.items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) })));
    deleted += page.items.length;
    if (page.more || deleted >= maxItems) return { deleted, remains: true };
    await markAuditDoneBefore(tenantId, nextDay(day));
  }
  return { deleted, remains: false };
}

const DAY_MS = 86_400_000;
const nextDay = (day: string) => dayOf(new Date(Date.parse(day) + DAY_MS).toISOString());

/** The audit days that can hold live records of a tenant created at `createdAt`. */
export function auditDaysSince(createdAt: string): string[] {
  const retentionStart = nowMs() - (config.auditRetentionDays() + 1) * DAY_MS;
  const first = Math.max(Date.parse(createdAt) || retentionStart, retentionStart);
  const days: string[] = [];
  for (let day = first; day <= nowMs() + DAY_MS; day += DAY_MS) days.push(dayOf(new Date(day).toISOString()));
  return [...new Set(days)];
}

async function markAuditDoneBefore(tenantId: string, day: string): Promise<void> {
  const update = 'SET #auditDoneBefore = :day';
  await updateItem({
    TableName: tableName(),
    Key: keys.tenantDrainLease(tenantId),
    UpdateExpression: update,
    ConditionExpression: exists,
    ...placeholders([update, exists], { day }),
  });
}

/** Everything bound to the VM first, its record last: a run killed in between finds the VM again. */
async function deleteVmUnit(tenantId: string, moId: string, instanceUuid: string | undefined): Promise<void> {
  await forgetVm(tenantId, moId, instanceUuid);
  await deleteItem(deleteRequest(keys.vm(tenantId, moId)));
}

/** The user's sessions, tickets and failed logins first, its principal last. */
async function deleteUserUnit(tenantId: string, userName: string): Promise<void> {
  await Promise.all([revokeUser(tenantId, userName), deleteItem(deleteRequest(keys.loginFailures(tenantId, userName)))]);
  await deleteItem(deleteRequest(keys.principal(tenantId, userName)));
}

/**
 * The last step, once nothing else is left: the lease, then the profile — only while it is marked deleting,
 * so no drain ever removes a live tenant. @returns whether the profile was deleted now.
 */
export async function deleteDrainedTenant(tenantId: string): Promise<boolean> {
  await deleteItem(deleteRequest(keys.tenantDrainLease(tenantId)));
  return deleteIf({
    TableName: tableName(),
    Key: keys.tenant(tenantId),
    ConditionExpression: deleting,
    ...placeholders([deleting]),
  });
}

async function inFlight(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
