import type { TenantRecord } from '../records.js';
import { config } from '../config.js';
import { nowMs } from '../core/clock.js';
import { exists } from './expressions.js';
import { deleteIf, deleteItem, deleteItems, getItem, updateIf, updateItem } from './items.js';
import { dayOf, gsi1, keys, recordOf, SK, type Key } from './keys.js';
import { queryAll, queryPage } from './paging.js';
import { deleteRequest, indexQueryRequest, partitionQueryRequest, updateRequest, type QueryRequest, type UpdateRequest } from './requests.js';
import { deleteOpenConsolesOfTenant } from './open-consoles.js';
import { deleteRecordingsOfTenant } from './recordings.js';
import { revokeUser } from './sessions.js';
import { forgetVm } from './tenants.js';

/**
 * The store side of deleting a tenant: the mark, the drain job's lease, and "delete one bounded batch of what
 * remains; say whether anything does". Every batch re-derives what is left from the table, so a run killed
 * half-way is resumed by the next one with nothing to remember.
 */

const deleting = 'attribute_exists(#deletingSince)';

/** Marks the tenant deleting in one conditional write; a second mark keeps the first one's time. */
export const markDeletingRequest = (tenantId: string, since: string): UpdateRequest<TenantRecord> =>
  updateRequest(keys.tenant(tenantId), 'SET #deletingSince = if_not_exists(#deletingSince, :since)', {
    condition: exists,
    values: { since },
    returns: 'ALL_NEW',
  });

/** @returns the tenant as marked, or undefined when there is no such tenant. */
export async function markTenantDeleting(tenantId: string, since: string): Promise<TenantRecord | undefined> {
  return recordOf<TenantRecord>(await updateItem(markDeletingRequest(tenantId, since)));
}

/** The tenants marked deleting, for the sweeper (the tenants index: one item per tenant). */
export const deletingTenantsRequest = (): QueryRequest =>
  indexQueryRequest(gsi1.name, 'gsi1pk = :pk', { filter: deleting, projection: '#tenantId', values: { pk: gsi1.tenants('').gsi1pk } });

export async function listDeletingTenants(): Promise<string[]> {
  return (await queryAll(deletingTenantsRequest())).map((item) => String(item.tenantId));
}

/**
 * Takes (or renews) the drain lease for `chain` until `untilSeconds` (epoch seconds): free, lapsed or already this
 * chain's. The lease only keeps chains of runs from duplicating work: every step is idempotent, so two
 * chains at once (a lease that lapsed under a slow batch) cost writes, never correctness.
 * @returns whether `chain` holds it.
 */
export const claimDrainRequest = (tenantId: string, chain: string, untilSeconds: number): UpdateRequest<unknown> =>
  updateRequest(keys.tenantDrainLease(tenantId), 'SET #chain = :chain, #expiresAt = :until, #tenantId = :tenantId', {
    condition: 'attribute_not_exists(#chain) OR #chain = :chain OR #expiresAt <= :now',
    values: { chain, until: untilSeconds, tenantId },
  });

export const claimTenantDrain = (tenantId: string, chain: string, untilSeconds: number): Promise<boolean> =>
  updateIf(claimDrainRequest(tenantId, chain, untilSeconds));

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
    const recordings = await deleteRecordingsOfTenant(tenantId, maxItems);
    if (recordings > 0) return { deleted: recordings, remains: true };
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
  await updateItem(updateRequest(keys.tenantDrainLease(tenantId), 'SET #auditDoneBefore = :day', { condition: exists, values: { day } }));
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
  return deleteIf(deleteRequest(keys.tenant(tenantId), { only: { condition: deleting } }));
}

async function inFlight(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
