import type { ConsoleTarget, EndOrder, ProxyOrder, WatchOrder, Watcher } from '../lib/protocol/console-proxy.js';
import { ApiUnavailable, type ConsoleBrokerApi } from './api.js';
import { Close } from './bridge.js';
import { errorSummary, logger } from './log.js';
import type { Notice } from './notices.js';

/**
 * What a read-only shadow's browser is told when the console it watches ends: the reason (and code) of the
 * API's end order for the shadows of an ended session, which may arrive after the proxy ended them itself.
 */
export const WATCHED_CONSOLE_ENDED = 'The watched console session ended.';

/**
 * The consoles this proxy holds, by their registry session id: what an order to end consoles is matched
 * against, and what the heartbeat reports (with each one's last input from the browser).
 */
export interface LiveConsole {
  target: ConsoleTarget;
  lastInputAt: number;
  end: (code: number, reason: string) => void;
  /** Who watches it read-only, as the API last said (by a watch order or a heartbeat's answer). */
  watchers: Watcher[];
  /** Tells the console's page (once bridged, if it asked for notices). */
  notify?: (notice: Notice) => void;
}

export class LiveConsoles {
  readonly byId = new Map<string, LiveConsole>();
  private timer?: NodeJS.Timeout;
  private beating = false;

  constructor(private readonly api: ConsoleBrokerApi) {}

  add(target: ConsoleTarget, end: LiveConsole['end']): LiveConsole {
    const live: LiveConsole = { target, lastInputAt: Date.now(), end, watchers: [] };
    this.byId.set(target.session.sessionId, live);
    this.schedule(target.session.heartbeatSeconds * 1000);
    return live;
  }

  /** The console ended: so do the read-only shadows of it that this proxy holds. */
  delete(sessionId: string): void {
    this.byId.delete(sessionId);
    for (const live of this.byId.values()) {
      if (live.target.shadowOf?.sessionId === sessionId) live.end(Close.policy, WATCHED_CONSOLE_ENDED);
    }
  }

  /**
   * The console is bridged: its page can be told things from now on (`notify` is undefined for a page that did
   * not ask for notices). A shadow's page learns whose console it shows; a page learns who watched meanwhile.
   */
  bridged(live: LiveConsole, notify: ((notice: Notice) => void) | undefined): void {
    if (!notify) return;
    live.notify = notify;
    const { shadowOf, vmMoId } = live.target;
    if (shadowOf) notify({ type: 'shadowing', userName: shadowOf.userName, vmMoId });
    if (live.watchers.length > 0) notify({ type: 'watchers', watchers: live.watchers });
  }

  /** Follows an order the API pushed: end consoles, or tell a console's page who watches it. */
  apply(order: ProxyOrder): number {
    return order.type === 'watchers' ? this.watch(order) : this.end(order);
  }

  /** Ends every console the order matches, and the shadows of the sessions it names; @returns how many. */
  private end(order: EndOrder): number {
    const named = order.sessionIds && new Set(order.sessionIds);
    let ended = 0;
    for (const [sessionId, live] of this.byId) {
      const { target } = live;
      if (target.tenantId !== order.tenantId) continue;
      if (order.vmMoId !== undefined && target.vmMoId !== order.vmMoId) continue;
      const watchedNamed = target.shadowOf !== undefined && named?.has(target.shadowOf.sessionId) === true;
      if (order.userName !== undefined && target.issuedTo !== order.userName && !watchedNamed) continue;
      if (named && !named.has(sessionId) && !watchedNamed) continue;
      live.end(Close.policy, order.reason);
      ended += 1;
    }
    logger.info('console end order applied', { tenant: order.tenantId, ended });
    return ended;
  }

  /** Tells the watched console's page who watches it now; @returns 1 when this proxy holds it, else 0. */
  private watch(order: WatchOrder): number {
    const live = this.byId.get(order.sessionId);
    if (!live || live.target.tenantId !== order.tenantId) return 0;
    this.watchedBy(live, order.watchers);
    return 1;
  }

  private watchedBy(live: LiveConsole, watchers: Watcher[]): void {
    const key = (list: Watcher[]) => JSON.stringify(list.map(({ userName, since }) => [userName, since]));
    if (key(live.watchers) === key(watchers)) return;
    live.watchers = watchers;
    live.notify?.({ type: 'watchers', watchers });
    logger.info('console watchers changed', { session: live.target.session.sessionId, watchers: watchers.length });
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
        const { ended, watched } = await this.api.heartbeat({ sessions });
        for (const sessionId of ended) this.byId.get(sessionId)?.end(Close.policy, 'The console session was ended.');
        // Present only from an API that knows shadows: a session it leaves out is watched by nobody.
        if (watched) {
          const watchers = new Map(watched.map((entry) => [entry.sessionId, entry.watchers]));
          for (const { sessionId } of sessions) {
            const live = this.byId.get(sessionId);
            if (live && !live.target.shadowOf) this.watchedBy(live, watchers.get(sessionId) ?? []);
          }
        }
      }
    } catch (error) {
      if (!(error instanceof ApiUnavailable)) throw error;
      logger.warn('console heartbeat failed', { error: errorSummary(error).message });
    } finally {
      this.beating = false;
    }
  }
}
