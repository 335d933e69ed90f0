import type { TenantRecord } from '../records.js';

/**
 * Whether a tenant is served: it exists and its deletion has not begun. Everything of a tenant stops at
 * DELETE's 202, not when the drain reaches it. (Its own module: sessions, tickets and the agent calls read it,
 * and tenants.ts imports those.)
 */
export const isServing = (tenant: TenantRecord | undefined): boolean => tenant !== undefined && tenant.deletingSince === undefined;
