/** The proxy's sessions: every one being set up or bridged, how many each tenant has, and audits in flight. */
export interface ConsoleSessions {
  /** How to end each live session (the bridge's end once it exists, a plain close before). */
  live: Set<(code: number, reason: string) => void>;
  perTenant: Tally;
  /** Audit records on their way to the API; closing waits for them. */
  audits: Set<Promise<void>>;
}

export const consoleSessions = (): ConsoleSessions => ({ live: new Set(), perTenant: tally(), audits: new Set() });

export type Tally = ReturnType<typeof tally>;

/** Sessions per tenant: `take` counts one more unless the tenant already has `limit`. */
function tally() {
  const counts = new Map<string, number>();
  return {
    count: (tenant: string) => counts.get(tenant) ?? 0,
    take(tenant: string, limit: number): boolean {
      const count = counts.get(tenant) ?? 0;
      if (count >= limit) return false;
      counts.set(tenant, count + 1);
      return true;
    },
    release(tenant: string): void {
      const count = (counts.get(tenant) ?? 1) - 1;
      if (count > 0) counts.set(tenant, count);
      else counts.delete(tenant);
    },
  };
}
