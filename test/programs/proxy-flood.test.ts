/**
 * The console proxy under a flood of junk sockets, with real sockets against the real API over HTTP (real
 * handlers, real dynalite) answering redemptions slowly, as an API under load does: sockets waiting on a
 * redemption have a budget of their own, per client address and overall, so one client's invented tickets
 * cannot keep another client's real console out.
 */
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { clientAddressOf } from '../../proxy/client-address.js';
import type { ConsoleProxyConfig } from '../../proxy/config.js';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { CONSOLE_PAGE_ORIGIN, createTenant, createVm, issueConsoleTicket, proxyConfig } from '../support/console-fixtures.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';
import type { VmRecord } from '../../lib/records.js';

const RFB_VERSION = 'RFB 003.008\n';
const REDEMPTIONS = 'POST /console-proxy/v1/redemptions';
const SLOW_MS = 500;

let rfb: Server;
let rfbPort: number;
let api: ApiServer;
let vm: VmRecord;
const proxies: ConsoleProxy[] = [];

beforeAll(async () => {
  rfb = createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    socket.write(RFB_VERSION);
  });
  rfb.listen(0, '127.0.0.1');
  await once(rfb, 'listening');
  rfbPort = (rfb.address() as { port: number }).port;
  api = await startApiServer({ slow: { path: '/console-proxy/v1/redemptions', ms: SLOW_MS } });
  vm = await createVm(await createTenant('flood'), 'vm-1', rfbPort);
});

afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await api?.close();
  rfb?.close();
});

async function proxy(overrides: Partial<ConsoleProxyConfig>): Promise<ConsoleProxy> {
  const started = await startConsoleProxy(proxyConfig(api.url, overrides));
  proxies.push(started);
  return started;
}

/** A console socket from `localAddress`: how it ended, or `opened` once the VM's RFB banner arrived. */
function consoleSocket(target: ConsoleProxy, path: string, localAddress = '127.0.0.1', headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${target.url.replace('http', 'ws')}${path}`, { origin: CONSOLE_PAGE_ORIGIN, localAddress, headers });
  return new Promise<{ outcome: 'opened' } | { outcome: 'closed'; code: number; reason: string }>((resolve) => {
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => {
      if (data.toString() === RFB_VERSION) {
        resolve({ outcome: 'opened' });
        ws.close();
      }
    });
    ws.on('close', (code, reason) => resolve({ outcome: 'closed', code, reason: reason.toString() }));
  });
}

const junkTicket = (index: number) => `x${index}.${'A'.repeat(16)}.${String(index).padStart(43, 'B')}`;

describe('a flood of junk sockets', () => {
  it("from one client never keeps another client's real console out", async () => {
    // Few sessions, so that without a pending budget of its own one batch of the flood would fill them.
    const target = await proxy({ maxSessions: 20, maxSessionsPerTenant: 20 });
    const closes = new Map<string, number>();
    let floodStarted = false;
    let floodDone = false;
    const flood = (async () => {
      // 1,000 sockets, at most 100 in flight: the test's own concurrency stays bounded.
      for (let batch = 0; batch < 10; batch += 1) {
        const sockets = Array.from({ length: 100 }, (_, index) => consoleSocket(target, `/?token=${junkTicket(batch * 100 + index)}`));
        floodStarted = true;
        for (const ended of await Promise.all(sockets)) {
          const key = ended.outcome === 'opened' ? 'opened' : `${ended.code} ${ended.reason}`;
          closes.set(key, (closes.get(key) ?? 0) + 1);
        }
      }
      floodDone = true;
    })();
    while (!floodStarted) await new Promise((resolve) => setImmediate(resolve));

    const real: string[] = [];
    while (!floodDone) {
      const ended = await consoleSocket(target, `/?token=${await issueConsoleTicket(vm)}`, '127.0.0.2');
      real.push(ended.outcome === 'opened' ? 'opened' : `${ended.code} ${ended.reason}`);
    }
    await flood;

    expect(real.length).toBeGreaterThan(0);
    expect(real).toEqual(real.map(() => 'opened'));
    // Every junk socket was refused: most at once for its client's pending budget, the rest by the API.
    expect([...closes.values()].reduce((sum, count) => sum + count, 0)).toBe(1000);
    expect([...closes.keys()].sort()).toEqual(
      [
        '1008 The console ticket is not valid: it is unknown, expired or already used.',
        '1013 Too many consoles are being opened from your address at once; try again shortly.',
      ].filter((key) => closes.has(key)),
    );
    expect(closes.get('1013 Too many consoles are being opened from your address at once; try again shortly.')).toBeGreaterThan(500);
    await expect.poll(() => target.activeSessions()).toBe(0);
  });
});

describe('pending redemptions', () => {
  it('refuses a ticket that cannot be one of ours without asking the API', async () => {
    const target = await proxy({});
    const before = api.requests.filter((request) => request === REDEMPTIONS).length;
    for (const token of ['hello', 'acme.short.ticket', `acme.${'A'.repeat(16)}.${'B'.repeat(42)}`, `Acme.${'A'.repeat(16)}.${'B'.repeat(43)}`]) {
      expect(await consoleSocket(target, `/?token=${encodeURIComponent(token)}`)).toEqual({
        outcome: 'closed',
        code: 1008,
        reason: 'The console ticket is not valid: it is unknown, expired or already used.',
      });
    }
    expect(api.requests.filter((request) => request === REDEMPTIONS).length).toBe(before);
  });

  it('holds a pending place no longer than the redemption timeout', async () => {
    // The API answers after 500 ms; the proxy waits 50 ms. One pending place for the client: it comes back.
    const target = await proxy({ redemptionTimeoutMs: 50, maxPendingPerClient: 1 });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect(await consoleSocket(target, `/?token=${await issueConsoleTicket(vm)}`)).toEqual({
        outcome: 'closed',
        code: 1011,
        reason: 'The console service is unavailable; try again later.',
      });
    }
  });

  it('counts a client by the TCP peer, or by the address the load balancer appended when told to trust it', () => {
    const request = (remoteAddress: string, forwarded?: string) =>
      ({ socket: { remoteAddress }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as unknown as IncomingMessage;
    expect(clientAddressOf(request('127.0.0.2', '9.9.9.9'), false)).toBe('127.0.0.2');
    expect(clientAddressOf(request('::ffff:10.0.0.7'), false)).toBe('10.0.0.7');
    expect(clientAddressOf(request('10.0.0.1', '9.9.9.9, 203.0.113.7'), true)).toBe('203.0.113.7');
    expect(clientAddressOf(request('10.0.0.1', 'not-an-address'), true)).toBe('10.0.0.1');
    expect(clientAddressOf(request('10.0.0.1'), true)).toBe('10.0.0.1');
  });
});
