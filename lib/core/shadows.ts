import { logger } from '../log.js';
import type { ConsoleTarget, Redemption, ShadowOf, Watcher } from '../protocol/console-proxy.js';
import type { OpenConsoleRecord, ShadowAuditEvent, TicketRecord } from '../records.js';
import * as store from '../store/index.js';
import { recordAuditEvents } from './audit.js';
import { isoNow, nowSeconds } from './clock.js';
import { pushOrder } from './console-proxies.js';
import { consoleTargetOf, openConsoleRecord } from './console-targets.js';
import { ticketRefused } from './tickets.js';

/**
 * Read-only shadowing (issue 27, docs/shadowing.md): an operator or a tenant auditor gets a one-time ticket
 * of an open console's VM marked as a shadow of that console; the proxy redeeming it opens its own read-only
 * view (it drops every input event of the shadow's browser). A shadow is an open console of its own in the
 * registry (`shadowOf` names the watched session), counted toward no connection limit, at most five per
 * watched session. Proxies are told who watches a console by a watch order pushed when a shadow opens and
 * when it ends (and, as a fallback, in the heartbeat's answer); a watched console that ends takes its shadows
 * with it. This module is the registry's side (open-consoles.ts calls it); the tickets are shadow-tickets.ts.
 */

export const MAX_SHADOWS_PER_SESSION = 5;
/** What a shadow's page is told when the console it watched ended. */
export const WATCHED_ENDED_REASON = 'The watched console session ended.';

/** The open shadows of `sessionId` among a VM's open consoles, oldest first. */
export const shadowsOf = (consoles: OpenConsoleRecord[], sessionId: string): OpenConsoleRecord[] =>
  consoles.filter((open) => open.shadowOf?.sessionId === sessionId).sort((a, b) => a.startedAt.localeCompare(b.startedAt));

/** Who watches, as pages are told. */
export const watchersOf = (shadows: OpenConsoleRecord[]): Watcher[] => shadows.map((shadow) => ({ userName: shadow.userName, since: shadow.startedAt }));

/**
 * The watched console among its VM's open consoles (one strongly consistent Query of the VM's registry
 * partition), with the shadows it has: it must be open and not itself a shadow.
 */
export async function watchable(tenantId: string, moId: string, sessionId: string) {
  const consoles = await store.openConsolesOfVm(tenantId, moId);
  const watched = consoles.find((open) => open.sessionId === sessionId && open.shadowOf === undefined);
  return { watched, shadows: shadowsOf(consoles, sessionId) };
}

/**
 * A redeemed shadow ticket opens its shadow, unless the watched console has ended (or has its five shadows):
 * then it is refused as any invalid ticket is. The shadow enters the registry; the watched console is marked
 * (its heartbeats answer its watchers from then on); every proxy is told who watches now. Built here, not by
 * `openConsole`: a shadow's target never carries a recording grant.
 */
export async function openShadow(ticket: TicketRecord & { shadowOf: ShadowOf }, from: Omit<Redemption, 'ticket'>): Promise<ConsoleTarget> {
  const { tenantId, vmMoId, shadowOf } = ticket;
  const { watched, shadows } = await watchable(tenantId, vmMoId, shadowOf.sessionId);
  if (!watched || shadows.length >= MAX_SHADOWS_PER_SESSION) {
    logger.info('shadow ticket refused', { tenant: tenantId, vm: vmMoId, session: shadowOf.sessionId, reason: watched ? 'shadow limit' : 'watched session not open' });
    throw ticketRefused();
  }
  const shadow: OpenConsoleRecord = { ...openConsoleRecord(ticket, from), shadowOf };
  await Promise.all([store.putOpenConsole(shadow), watched.shadowed ? undefined : store.markShadowed(tenantId, vmMoId, watched.sessionId, true)]);
  await Promise.all([
    pushOrder({ type: 'watchers', tenantId, sessionId: shadowOf.sessionId, watchers: watchersOf([...shadows, shadow]) }),
    audit([shadow], 'shadow started'),
  ]);
  return {
    ...consoleTargetOf(ticket, shadow),
    shadowOf,
  };
}

/** Writes shadows' start or end entries to the audit trail, and the same as log lines. */
async function audit(shadows: OpenConsoleRecord[], event: ShadowAuditEvent['event'], reason?: string): Promise<void> {
  const at = isoNow();
  const entries = shadows.map(
    (shadow): Omit<ShadowAuditEvent, 'expiresAt'> => ({
      tenantId: shadow.tenantId,
      event,
      at,
      watcher: shadow.userName,
      shadowSessionId: shadow.sessionId,
      watchedSessionId: shadow.shadowOf!.sessionId,
      watchedUser: shadow.shadowOf!.userName,
      vmMoId: shadow.vmMoId,
      ...(reason ? { reason } : {}),
    }),
  );
  for (const entry of entries) {
    logger.info(entry.event, { tenant: entry.tenantId, vm: entry.vmMoId, watcher: entry.watcher, session: entry.watchedSessionId, shadow: entry.shadowSessionId });
  }
  await recordAuditEvents(entries);
}

/** The open shadows of consoles that are ending (only of those ever watched), except those ending already. */
async function shadowsOfEnding(ended: OpenConsoleRecord[]): Promise<OpenConsoleRecord[]> {
  const watched = ended.filter((open) => open.shadowed && open.shadowOf === undefined);
  const ending = new Set(ended.map((open) => open.sessionId));
  const vms = [...new Map(watched.map((open) => [`${open.tenantId}/${open.vmMoId}`, open])).values()];
  const consoles = (await Promise.all(vms.map((open) => store.openConsolesOfVm(open.tenantId, open.vmMoId)))).flat();
  return watched.flatMap((open) => shadowsOf(consoles, open.sessionId)).filter((shadow) => !ending.has(shadow.sessionId));
}

/**
 * After consoles left the registry (ended by an order, or by their end report): their shadows end too (out of
 * the registry, and an order naming them); each shadow among them all is audited as ended; and the watched
 * consoles still open whose shadows ended are told who watches them now.
 */
export async function consolesEnded(ended: OpenConsoleRecord[], reason: string): Promise<void> {
  const cascaded = await shadowsOfEnding(ended);
  const byTenant = new Map<string, OpenConsoleRecord[]>();
  for (const shadow of cascaded) byTenant.set(shadow.tenantId, [...(byTenant.get(shadow.tenantId) ?? []), shadow]);
  await Promise.all([
    store.deleteOpenConsoles(cascaded),
    ...[...byTenant].map(([tenantId, shadows]) =>
      pushOrder({ type: 'end', tenantId, sessionIds: shadows.map((shadow) => shadow.sessionId), reason: WATCHED_ENDED_REASON }),
    ),
    audit(cascaded, 'shadow ended', WATCHED_ENDED_REASON),
    audit(ended.filter((open) => open.shadowOf !== undefined), 'shadow ended', reason),
  ]);
  const gone = new Set(ended.map((open) => open.sessionId));
  const stillWatched = new Map(
    ended.filter((open) => open.shadowOf && !gone.has(open.shadowOf.sessionId)).map((open) => [open.shadowOf!.sessionId, open]),
  );
  await Promise.all(
    [...stillWatched.values()].map(async (shadow) => {
      const { watched, shadows } = await watchable(shadow.tenantId, shadow.vmMoId, shadow.shadowOf!.sessionId);
      if (watched) await pushOrder({ type: 'watchers', tenantId: shadow.tenantId, sessionId: watched.sessionId, watchers: watchersOf(shadows) });
    }),
  );
}

/** What the audit trail says of a shadow whose proxy stopped reporting it. */
export const SHADOW_EXPIRED_REASON = 'Its console proxy stopped reporting it.';

/**
 * The heartbeat's fallback for a missed watch order: the watchers of each reported console that was ever
 * watched (the heartbeat's own UpdateItem says which, so an unwatched console costs nothing more), one
 * Query of its VM's registry partition each. There, a shadow past its expiry (its proxy died) is removed and
 * audited as ended. A console found with no shadow left is unmarked, so it is answered `[]` once and then
 * costs nothing again.
 */
export async function watchersOfReported(kept: OpenConsoleRecord[]): Promise<{ sessionId: string; watchers: Watcher[] }[]> {
  const watched = kept.filter((open) => open.shadowed && open.shadowOf === undefined);
  const answers: { sessionId: string; watchers: Watcher[] }[] = [];
  for (let start = 0; start < watched.length; start += 25) {
    await Promise.all(
      watched.slice(start, start + 25).map(async ({ tenantId, vmMoId, sessionId }) => {
        const now = nowSeconds();
        const all = shadowsOf(await store.storedConsolesOfVm(tenantId, vmMoId), sessionId);
        const shadows = all.filter((shadow) => shadow.expiresAt > now);
        const expired = all.filter((shadow) => shadow.expiresAt <= now);
        // A conditional delete each: of two heartbeats finding the same expired shadow, one audits it.
        const removed = await Promise.all(expired.map((shadow) => store.deleteExpiredOpenConsole(tenantId, vmMoId, shadow.sessionId)));
        await Promise.all([
          audit(expired.filter((_shadow, index) => removed[index]), 'shadow ended', SHADOW_EXPIRED_REASON),
          shadows.length === 0 ? store.markShadowed(tenantId, vmMoId, sessionId, false) : undefined,
        ]);
        answers.push({ sessionId, watchers: watchersOf(shadows) });
      }),
    );
  }
  return answers;
}

/**
 * The reported shadows whose watched console is no longer in the registry (its proxy died, or its end was
 * missed): they leave it too, audited as ended. One GetItem per shadow (at most five per watched console).
 * @returns their session ids, for the heartbeat's `ended`.
 */
export async function orphanedShadows(kept: OpenConsoleRecord[]): Promise<string[]> {
  const shadows = kept.filter((open) => open.shadowOf !== undefined);
  const orphans: OpenConsoleRecord[] = [];
  for (let start = 0; start < shadows.length; start += 25) {
    await Promise.all(
      shadows.slice(start, start + 25).map(async (shadow) => {
        if (!(await store.getOpenConsole(shadow.tenantId, shadow.vmMoId, shadow.shadowOf!.sessionId))) orphans.push(shadow);
      }),
    );
  }
  if (orphans.length === 0) return [];
  await Promise.all([store.deleteOpenConsoles(orphans), audit(orphans, 'shadow ended', WATCHED_ENDED_REASON)]);
  return orphans.map((shadow) => shadow.sessionId);
}
