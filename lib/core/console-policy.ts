import * as z from 'zod';
import { config } from '../config.js';
import type { ConsolePolicySpec, TenantRecord } from '../records.js';

/**
 * A tenant's console policy: how many consoles may be open per VM, per user and in the whole tenant, and how
 * long one may idle and last. The operator sets any of it with the tenant (`consolePolicy`); the rest takes
 * the defaults below. The proxy enforces the durations where the socket is (they travel in the redemption's
 * answer); the API enforces the limits when a console ticket is asked for.
 */

/** As SSM Session Manager's idle timeout default (20 minutes) and its maximum session duration's upper bound (24 h). */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 20 * 60;
export const DEFAULT_MAX_DURATION_SECONDS = 24 * 3600;

const limit = (max: number) => z.number().int().min(1).max(max);

export const ConsolePolicySpecSchema = z
  .object({
    connectionLimitPerVm: limit(1000).optional(),
    connectionLimitPerUser: limit(100_000).optional(),
    connectionLimitPerTenant: limit(100_000).optional(),
    idleTimeoutSeconds: limit(86_400).optional(),
    maxDurationSeconds: limit(7 * 86_400).optional(),
  })
  .strict() satisfies z.ZodType<ConsolePolicySpec>;

export interface ConsolePolicy {
  connectionLimitPerVm: number;
  connectionLimitPerUser?: number;
  connectionLimitPerTenant?: number;
  idleTimeoutSeconds: number;
  maxDurationSeconds: number;
}

/** The policy in force for a tenant: what its operator set, defaults for the rest. */
export const consolePolicyOf = (tenant: TenantRecord | undefined): ConsolePolicy => ({
  // vSphere's default `RemoteDisplay.maxConnections` (40), unless the deployment sets another.
  connectionLimitPerVm: config.consoleConnectionLimitPerVm(),
  idleTimeoutSeconds: DEFAULT_IDLE_TIMEOUT_SECONDS,
  maxDurationSeconds: DEFAULT_MAX_DURATION_SECONDS,
  ...tenant?.consolePolicy,
});

/** How long the registry keeps an open console its proxy stopped reporting: three heartbeats. */
export const registryTtlSeconds = (): number => 3 * config.consoleHeartbeatSeconds();
