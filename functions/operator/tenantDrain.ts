import type { Context } from 'aws-lambda';
import * as TenantDeletion from '../../lib/core/tenant-deletion.js';
import { lambda } from '../../lib/lambda.js';
import { logger } from '../../lib/log.js';
import * as Metrics from '../../lib/metrics.js';

/**
 * The tenant deletion job: no HTTP route. `drain` is started by DELETE /operator/v1/tenants/{tenant} with an
 * asynchronous invoke and queues its own next run until the tenant is gone; `sweep` runs on a schedule and
 * starts a drain for every tenant still marked deleting.
 *
 * Neither throws: a failed run is logged and resumed by the sweeper (serverless-offline would die of an
 * asynchronous invocation that rejects). A run Lambda kills (timeout, crash) is retried by Lambda itself.
 */
const job = <E, R>(run: (event: E, context: Context) => Promise<R>) =>
  // The job keeps its own time (a batch is never cut off half-way): no middy early timeout.
  lambda<E, R | { state: 'failed' | 'refused' }>({ timeoutEarlyInMillis: 0 }).handler(async (event, context) => {
      try {
        return await run(event, context);
      } catch (error) {
        logger.error('tenant deletion job failed; the sweeper resumes it', { error: error as Error });
        Metrics.tenantDrainFailed();
        return { state: 'failed' as const };
      }
    });

/** Event: `{ tenantId, chain }`. */
export const drain = job(async (event: unknown, context) => {
  const request = TenantDeletion.DrainRequestSchema.safeParse(event);
  if (!request.success) {
    logger.error('tenant drain refused: not a drain request', { issues: request.error.issues.map((issue) => issue.message) });
    return { state: 'refused' as const };
  }
  const outcome = await TenantDeletion.drainTenant(request.data, () => context.getRemainingTimeInMillis());
  logger.info('tenant drain run', { tenantId: request.data.tenantId, ...outcome });
  Metrics.tenantDrainRun(outcome.state.replaceAll(' ', '_'), outcome.deleted);
  return outcome;
});

/** Event: EventBridge's scheduled event (its content is not used). */
export const sweep = job(async () => {
  const tenantIds = await TenantDeletion.sweepDeletingTenants();
  if (tenantIds.length) logger.info('tenant drains started by the sweeper', { tenantIds });
  return { tenantIds };
});
