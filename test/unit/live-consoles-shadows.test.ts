/**
 * The proxy's held consoles (proxy/live-consoles.ts) and read-only shadows: who a page is told watches it (watch
 * orders, and the heartbeat's answer as a fallback), and shadows ending with the console they watch.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ConsoleTarget, HeartbeatAnswer, ShadowOf, Watcher } from '../../lib/protocol/console-proxy.js';
import type { ConsoleBrokerApi } from '../../proxy/api.js';
import { LiveConsoles, WATCHED_CONSOLE_ENDED } from '../../proxy/live-consoles.js';
import type { Notice } from '../../proxy/notices.js';

const TENANT = 'acme';
const AUDREY: Watcher = { userName: 'audrey@acme', since: '2026-12-07T02:00:00.000Z' };
const OPERATOR: Watcher = { userName: 'operator', since: '2026-12-07T02:05:00.000Z' };

const target = (issuedTo: string, shadowOf?: ShadowOf): ConsoleTarget => ({
  tenantId: TENANT,
  vmMoId: 'vm-1',
  instanceUuid: randomUUID(),
  consoleType: 'WEBMKS',
  issuedTo,
  issuedAt: '2026-12-07T01:00:00.000Z',
  vnc: { host: '127.0.0.1', port: 5900 },
  session: { sessionId: randomUUID(), idleTimeoutSeconds: 600, maxDurationSeconds: 3600, heartbeatSeconds: 3600 },
  ...(shadowOf ? { shadowOf } : {}),
});

/** Live consoles whose heartbeat answers what the test sets, each console's notices and ends recorded. */
function held() {
  let answer: HeartbeatAnswer = { ended: [] };
  const api: ConsoleBrokerApi = {
    redeemTicket: async () => undefined,
    recordSession: async () => undefined,
    heartbeat: async () => answer,
    redeemPlayback: async () => undefined,
  };
  const live = new LiveConsoles(api);
  const open = (opened: ConsoleTarget, { notices = true } = {}) => {
    const record = { notices: [] as Notice[], ended: [] as [number, string][] };
    const entry = live.add(opened, (code, reason) => record.ended.push([code, reason]));
    live.bridged(entry, notices ? (notice) => record.notices.push(notice) : undefined);
    return { ...record, sessionId: opened.session.sessionId };
  };
  return { live, open, answer: (next: HeartbeatAnswer) => (answer = next) };
}

describe('live consoles and their shadows', () => {
  it("tells a shadow's page whose console it shows, and a watched page who watches it, once per change", () => {
    const { live, open } = held();
    const owner = open(target('alice@acme'));
    const shadow = open(target('audrey@acme', { sessionId: owner.sessionId, userName: 'alice@acme' }));
    expect(shadow.notices).toEqual([{ type: 'shadowing', userName: 'alice@acme', vmMoId: 'vm-1' }]);

    live.apply({ type: 'watchers', tenantId: TENANT, sessionId: owner.sessionId, watchers: [AUDREY] });
    live.apply({ type: 'watchers', tenantId: TENANT, sessionId: owner.sessionId, watchers: [AUDREY] });
    live.apply({ type: 'watchers', tenantId: 'other', sessionId: owner.sessionId, watchers: [] });
    live.apply({ type: 'watchers', tenantId: TENANT, sessionId: owner.sessionId, watchers: [AUDREY, OPERATOR] });
    live.apply({ type: 'watchers', tenantId: TENANT, sessionId: owner.sessionId, watchers: [] });
    expect(owner.notices).toEqual([
      { type: 'watchers', watchers: [AUDREY] },
      { type: 'watchers', watchers: [AUDREY, OPERATOR] },
      { type: 'watchers', watchers: [] },
    ]);
    expect(shadow.notices).toHaveLength(1);
    live.stop();
  });

  it('tells a page who watched while it was still connecting, once it is bridged', () => {
    const { live } = held();
    const opened = target('alice@acme');
    const notices: Notice[] = [];
    const entry = live.add(opened, () => undefined);
    live.apply({ type: 'watchers', tenantId: TENANT, sessionId: opened.session.sessionId, watchers: [AUDREY] });
    live.bridged(entry, (notice) => notices.push(notice));
    expect(notices).toEqual([{ type: 'watchers', watchers: [AUDREY] }]);
    live.stop();
  });

  it("takes the heartbeat's watchers as a fallback: a session it leaves out is watched by nobody; an API without them changes nothing", async () => {
    const { live, open, answer } = held();
    const watched = open(target('alice@acme'));
    const other = open(target('bob@acme'));
    const shadow = open(target('audrey@acme', { sessionId: watched.sessionId, userName: 'alice@acme' }));
    answer({ ended: [], watched: [{ sessionId: watched.sessionId, watchers: [AUDREY] }] });
    await live.beat();
    expect(watched.notices).toEqual([{ type: 'watchers', watchers: [AUDREY] }]);
    expect(other.notices).toEqual([]);
    expect(shadow.notices).toHaveLength(1);

    answer({ ended: [] }); // an API that knows no shadows
    await live.beat();
    expect(watched.notices).toHaveLength(1);

    answer({ ended: [], watched: [] });
    await live.beat();
    expect(watched.notices).toEqual([{ type: 'watchers', watchers: [AUDREY] }, { type: 'watchers', watchers: [] }]);
    live.stop();
  });

  it('ends the shadows of a console when it ends here, or when an end order names it', () => {
    const { live, open } = held();
    const watched = open(target('alice@acme'));
    const shadows = [1, 2].map(() => open(target('audrey@acme', { sessionId: watched.sessionId, userName: 'alice@acme' })));
    const unrelated = open(target('bob@acme'));
    live.delete(watched.sessionId);
    for (const shadow of shadows) expect(shadow.ended).toEqual([[1008, WATCHED_CONSOLE_ENDED]]);
    expect(unrelated.ended).toEqual([]);

    // The watched console is on another proxy: the order names it (and the API names the shadow too).
    const elsewhere = randomUUID();
    const shadow = open(target('audrey@acme', { sessionId: elsewhere, userName: 'carol@acme' }));
    expect(live.apply({ type: 'end', tenantId: TENANT, userName: 'carol@acme', sessionIds: [elsewhere], reason: 'Your access to this console was revoked.' })).toBe(1);
    expect(shadow.ended).toEqual([[1008, 'Your access to this console was revoked.']]);
    expect(unrelated.ended).toEqual([]);
    live.stop();
  });

  it('sends a page that did not ask for notices nothing', () => {
    const { live, open } = held();
    const quiet = open(target('alice@acme'), { notices: false });
    live.apply({ type: 'watchers', tenantId: TENANT, sessionId: quiet.sessionId, watchers: [AUDREY] });
    expect(quiet.notices).toEqual([]);
    live.stop();
  });
});
