import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { config } from '../config.js';
import { startJob } from '../jobs.js';
import { logger } from '../log.js';
import * as store from '../store/index.js';
import { isoNow, nowMs, nowSeconds } from './clock.js';
import { TenantIdSchema } from './model.js';
import { endConsolesOf, EndReasons } from './open-consoles.js';
import { tenantNotFound } from './tenants.js';
import type { TenantRecord } from '../records.js';

/**
 * Deleting a tenant: one conditional write marks it at once (from then on it is refused and cannot be
 * re-created), and a background job drains it in bounded batches, run after run, until only the profile is
 * left, which goes last. A run re-derives what is left from the table, so one killed by a timeout or a crash
 * is resumed by Lambda's retry of the same event, by the chain's next run, or by the sweeper.
 */

/** One run of the drain job: the tenant, and the chain of runs it belongs to (the holder of the lease). */
export const DrainRequestSchema = z.object({ tenantId: TenantIdSchema, chain: z.uuid() }).strict();
export type DrainRequest = z.infer<typeof DrainRequestSchema>;

export type DrainOutcome =
  /** Nothing of the tenant is left. */
  | { state: 'drained'; deleted: number }
  /** Time ran out with items left: the next run of the chain is queued. */
  | { state: 'continuing'; deleted: number }
  /** Another chain holds the lease; this run did nothing. */
  | { state: 'held elsewhere'; deleted: number }
  /** The mark is younger than the settle time and this run cannot wait for it: the sweeper comes back. */
  | { state: 'settling'; deleted: 0 }
  /** No tenant, or one not marked deleting: nothing to do. */
  | { state: 'not deleting'; deleted: 0 };

/** Items of the tenant partition per batch (each VM or user brings its own revocations with it). */
const BATCH_ITEMS = 100;
/** A lease outlives one batch by far; taken before each. A run that died frees the tenant this much later. */
const LEASE_SECONDS = 60;
/** Time kept back when waiting out the settle time inside a run. */
const SLEEP_SAFETY_MS = 5_000;

export async function deleteTenant(tenantId: string): Promise<TenantRecord> {
  const tenant = await store.markTenantDeleting(tenantId, isoNow());
  if (!tenant) throw tenantNotFound(tenantId);
  // Its open consoles close at once on every proxy; the drain removes whatever the registry still holds.
  await endConsolesOf({ tenantId }, EndReasons.tenantDeleted);
  await startDrain({ tenantId, chain: randomUUID() });
  return tenant;
}

/**
 * Queues a run of the drain job. A failure to queue it is logged, not thrown: the mark is already written,
 * and the sweeper starts a drain for every tenant still marked.
 */
async function startDrain(request: DrainRequest): Promise<void> {
  const functionName = config.tenantDrainFunction();
  if (!functionName) {
    logger.warn('tenant drain not started: no drain function configured', { tenantId: request.tenantId });
    return;
  }
  try {
    await startJob(functionName, request);
  } catch (error) {
    logger.error('tenant drain not started; the sweeper resumes it', { tenantId: request.tenantId, error: error as Error });
  }
}

/**
 * One run of the drain job, within its invocation's time (`remainingMs`): at least one batch, then more
 * while the margin allows, then either the profile (nothing left) or the chain's next run.
 */
export async function drainTenant(request: DrainRequest, remainingMs: () => number): Promise<DrainOutcome> {
  const { tenantId, chain } = request;
  const tenant = await store.getTenant(tenantId);
  if (!tenant?.deletingSince) return { state: 'not deleting', deleted: 0 };

  const settled = Date.parse(tenant.deletingSince) + config.tenantDeletionSettleSeconds() * 1000;
  if (settled > nowMs()) {
    if (settled - nowMs() > remainingMs() - SLEEP_SAFETY_MS) return { state: 'settling', deleted: 0 };
    await sleep(settled - nowMs());
  }

  const marginMs = config.tenantDrainMarginSeconds() * 1000;
  let deleted = 0;
  do {
    if (!(await store.claimTenantDrain(tenantId, chain, nowSeconds() + LEASE_SECONDS))) return { state: 'held elsewhere', deleted };
    // Still the deletion this run began on: a chain that outlived another's finish must not drain a tenant
    // created again under the same id (one read a batch of a hundred items).
    if ((await store.getTenant(tenantId))?.deletingSince !== tenant.deletingSince) return { state: 'not deleting', deleted: 0 };
    const batch = await store.drainTenantBatch(tenantId, BATCH_ITEMS);
    deleted += batch.deleted;
    if (!batch.remains) {
      await store.deleteDrainedTenant(tenantId);
      return { state: 'drained', deleted };
    }
  } while (remainingMs() > marginMs);
  await startDrain(request);
  return { state: 'continuing', deleted };
}

/** The sweeper: a drain for every tenant still marked deleting, so that a lost invocation strands none. */
export async function sweepDeletingTenants(): Promise<string[]> {
  const tenantIds = await store.listDeletingTenants();
  await Promise.all(tenantIds.map((tenantId) => startDrain({ tenantId, chain: randomUUID() })));
  return tenantIds;
}
