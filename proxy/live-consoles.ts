import type { ConsoleTarget, EndOrder } from '../lib/protocol/console-proxy.js';
import { ApiUnavailable, type ConsoleBrokerApi } from './api.js';
import { Close } from './bridge.js';
import { errorSummary, logger } from './log.js';

/**
 * The consoles this proxy holds, by their registry session id: what an order to end consoles is matched
 * against, and what the heartbeat reports (with each one's last input from the browser).
 */
export interface LiveConsole {
  target: ConsoleTarget;
  lastInputAt: number;
  end: (code: number, reason: string) => void;
}

export class LiveConsoles {
  readonly byId = new Map<string, LiveConsole>();
  private timer?: NodeJS.Timeout;
  private beating = false;

  constructor(private readonly api: ConsoleBrokerApi) {}

  add(target: ConsoleTarget, end: LiveConsole['end']): LiveConsole {
    const live: LiveConsole = { target, lastInputAt: Date.now(), end };
    this.byId.set(target.session.sessionId, live);
    this.schedule(target.session.heartbeatSeconds * 1000);
    return live;
  }

  delete(sessionId: string): void {
    this.byId.delete(sessionId);
  }

  /** Ends every console the order matches; @returns how many. */
  apply(order: EndOrder): number {
    const named = order.sessionIds && new Set(order.sessionIds);
    let ended = 0;
    for (const [sessionId, live] of this.byId) {
      const { target } = live;
      if (target.tenantId !== order.tenantId) continue;
      if (order.vmMoId !== undefined && target.vmMoId !== order.vmMoId) continue;
      if (order.userName !== undefined && target.issuedTo !== order.userName) continue;
      if (named && !named.has(sessionId)) continue;
      live.end(Close.policy, order.reason);
      ended += 1;
    }
    logger.info('console end order applied', { tenant: order.tenantId, ended });
    return ended;
  }

  /** Heartbeats run while consoles are open, at the interval the API asks for. */
  private schedule(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reports every console held; those the registry no longer holds (ended while an order was missed) are closed. */
  async beat(): Promise<void> {
    if (this.beating) return;
    if (this.byId.size === 0) return this.stop();
    this.beating = true;
    try {
      const held = [...this.byId.entries()];
      for (let start = 0; start < held.length; start += 500) {
        const sessions = held.slice(start, start + 500).map(([sessionId, live]) => ({
          sessionId,
          tenantId: live.target.tenantId,
          vmMoId: live.target.vmMoId,
          lastInputAt: new Date(live.lastInputAt).toISOString(),
        }));
        const ended = await this.api.heartbeat({ sessions });
        for (const sessionId of ended) this.byId.get(sessionId)?.end(Close.policy, 'The console session was ended.');
      }
    } catch (error) {
      if (!(error instanceof ApiUnavailable)) throw error;
      logger.warn('console heartbeat failed', { error: errorSummary(error).message });
    } finally {
      this.beating = false;
    }
  }
}
