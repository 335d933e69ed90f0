/**
 * The proxy's sessions: every one being set up or bridged, how many each tenant has, the redemptions in
 * flight (counted apart, per client address), and audits in flight.
 */
export interface ConsoleSessions {
  /** How to end each live session (the bridge's end once it exists, a plain close before). */
  live: Set<(code: number, reason: string) => void>;
  perTenant: Tally;
  /** Sockets waiting on the API's redemption, by client address; their total is `pending.total()`. */
  pending: Tally & { total(): number };
  /** Audit records on their way to the API; closing waits for them. */
  audits: Set<Promise<void>>;
}

export const consoleSessions = (): ConsoleSessions => ({ live: new Set(), perTenant: tally(), pending: tally(), audits: new Set() });

/** Sessions past redemption: live ones that are not waiting on the API. */
export const established = (sessions: ConsoleSessions): number => sessions.live.size - sessions.pending.total();

export type Tally = ReturnType<typeof tally>;

/** Places per owner (a tenant, a client address): `take` counts one more unless the owner already has `limit`. */
function tally() {
  const counts = new Map<string, number>();
  let total = 0;
  return {
    count: (owner: string) => counts.get(owner) ?? 0,
    total: () => total,
    take(owner: string, limit: number): boolean {
      const count = counts.get(owner) ?? 0;
      if (count >= limit) return false;
      counts.set(owner, count + 1);
      total += 1;
      return true;
    },
    release(owner: string): void {
      if (!counts.has(owner)) return;
      const count = counts.get(owner)! - 1;
      total -= 1;
      if (count > 0) counts.set(owner, count);
      else counts.delete(owner);
    },
  };
}
