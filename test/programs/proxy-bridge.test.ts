/**
 * The console proxy against an in-process RFB server and the real API over HTTP (real handlers, real
 * dynalite): what reaches the VM, when, and what the browser is told.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listConsoleSessions } from '../../lib/core/audit.js';
import { advanceClock, resetClock } from '../../lib/core/clock.js';
import { fingerprint, parseSecret } from '../../lib/protocol/secrets.js';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { api, CONSOLE_PROXY } from '../support/api.js';
import { captureOutput, CONSOLE_PAGE_ORIGIN, createTenant, createVm, issueConsoleTicket, proxyConfig } from '../support/console-fixtures.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';
import { eventually } from '../support/wait.js';
import type { ConsoleSessionRecord, VmRecord } from '../../lib/records.js';

/** The UTC days a console session started just now falls on (yesterday too, for a test running at midnight). */
const recentDays = () => [new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), new Date().toISOString().slice(0, 10)] as const;

const RFB_VERSION = Buffer.from('RFB 003.008\n');
const REFUSED = 'The console ticket is not valid: it is unknown, expired or already used.';

/** Speaks the start of RFB (the server's ProtocolVersion) and then echoes whatever it is sent. */
interface RfbServer {
  port: number;
  connections: number;
  received: Buffer[];
  sockets: Socket[];
  server: Server;
}

async function startRfbServer(onConnection?: (socket: Socket) => void): Promise<RfbServer> {
  const rfb: RfbServer = { port: 0, connections: 0, received: [], sockets: [], server: createServer() };
  rfb.server.on('connection', (socket) => {
    rfb.connections += 1;
    rfb.sockets.push(socket);
    socket.on('error', () => undefined);
    (onConnection ?? echo)(socket);
  });
  rfb.server.listen(0, '127.0.0.1');
  await once(rfb.server, 'listening');
  rfb.port = (rfb.server.address() as { port: number }).port;
  return rfb;

  function echo(socket: Socket) {
    socket.write(RFB_VERSION);
    socket.on('data', (chunk) => {
      rfb.received.push(chunk);
      socket.write(chunk);
    });
  }
}

function stopRfbServer(rfb: RfbServer): Promise<void> {
  for (const socket of rfb.sockets) socket.destroy();
  return new Promise((resolve) => rfb.server.close(() => resolve()));
}

/** A browser-like console client: every message it receives is queued from the first moment. */
class ConsoleClient {
  readonly ws: WebSocket;
  readonly messages: Buffer[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  constructor(proxy: ConsoleProxy, path: string, origin: string | null = CONSOLE_PAGE_ORIGIN) {
    this.ws = new WebSocket(`${proxy.url.replace('http', 'ws')}${path}`, origin ? { origin } : {});
    this.ws.on('message', (data: Buffer) => {
      this.messages.push(data);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Waits until `bytes` bytes in all have arrived, and returns them. */
  async receive(bytes: number): Promise<Buffer> {
    while (Buffer.concat(this.messages).length < bytes) {
      await new Promise<void>((resolve, reject) => {
        this.waiters.push(resolve);
        this.closed.then(() => reject(new Error('closed while waiting for data')));
      });
    }
    return Buffer.concat(this.messages);
  }

  /** The HTTP status of a refused upgrade. */
  upgradeStatus(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      this.ws.on('open', () => reject(new Error('the upgrade was accepted')));
    });
  }
}

const auditOf = (tenantId: string, count = 1): Promise<ConsoleSessionRecord[]> =>
  eventually(async () => {
    const records = await listConsoleSessions(tenantId, ...recentDays());
    return records.length >= count ? records : undefined;
  }, `${count} audit record(s) written`);

const redeemable = async (ticket: string) =>
  (await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } })).status === 200;

let apiServer: ApiServer;
let rfb: RfbServer;
let tenantId: string;
let vm: VmRecord;
const proxies: ConsoleProxy[] = [];

async function proxy(overrides: Parameters<typeof proxyConfig>[1] = {}): Promise<ConsoleProxy> {
  const started = await startConsoleProxy(proxyConfig(apiServer.url, overrides));
  proxies.push(started);
  return started;
}

beforeAll(async () => {
  apiServer = await startApiServer();
  rfb = await startRfbServer();
  tenantId = await createTenant('proxy');
  vm = await createVm(tenantId, 'vm-1', rfb.port);
});

afterEach(async () => {
  resetClock();
  await Promise.all(proxies.splice(0).map((started) => started.close()));
  rfb.connections = 0;
  rfb.received = [];
});

afterAll(async () => {
  await stopRfbServer(rfb);
  await apiServer.close();
});

describe('console bridge', () => {
  it.each([
    ['a noVNC connection (Nova console URL)', (ticket: string) => `/?token=${encodeURIComponent(ticket)}`],
    ['a websockify path', (ticket: string) => `/websockify?token=${encodeURIComponent(ticket)}`],
    ['a WEBMKS ticket URL', (ticket: string) => `/ticket/${ticket}`],
  ])('bridges %s both ways, then records the session', async (_case, path) => {
    const consoleProxy = await proxy();
    const tenant = await createTenant('bridge');
    const target = await createVm(tenant, 'vm-7', rfb.port);
    const ticket = await issueConsoleTicket(target, 'webmks', `alice@${tenant}`);
    const client = new ConsoleClient(consoleProxy, path(ticket));

    expect(await client.receive(RFB_VERSION.length)).toEqual(RFB_VERSION);
    client.ws.send(Buffer.from('RFB 003.008\n'));
    client.ws.send(Buffer.from([1]));
    expect(await client.receive(RFB_VERSION.length + 13)).toEqual(Buffer.concat([RFB_VERSION, Buffer.from('RFB 003.008\n'), Buffer.from([1])]));
    expect(Buffer.concat(rfb.received)).toEqual(Buffer.from('RFB 003.008\n\x01'));
    client.ws.close(1000);
    await client.closed;

    const [record] = await auditOf(tenant);
    expect(record).toEqual({
      sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tenantId: tenant,
      vmMoId: 'vm-7',
      instanceUuid: target.instanceUuid,
      consoleType: 'webmks',
      principal: `alice@${tenant}`,
      ticketFingerprint: fingerprint(parseSecret(ticket)!.hash),
      startedAt: expect.any(String),
      endedAt: expect.any(String),
      bytesToVm: 13,
      bytesFromVm: 25,
      endReason: 'client closed',
      clientAddress: '127.0.0.1',
      recordedAt: expect.any(String),
      expiresAt: expect.any(Number),
    });
    expect(Date.parse(record!.endedAt)).toBeGreaterThanOrEqual(Date.parse(record!.startedAt));
    expect(JSON.stringify(record)).not.toContain(ticket.split('.').at(-1)!);
  });

  it('tells the browser when the VM side closes', async () => {
    const consoleProxy = await proxy();
    const client = new ConsoleClient(consoleProxy, `/?token=${await issueConsoleTicket(vm)}`);
    await client.receive(RFB_VERSION.length);
    rfb.sockets.at(-1)!.end();
    expect(await client.closed).toEqual({ code: 1000, reason: "The virtual machine's console closed the connection." });
  });
});

describe('ticket refusal', () => {
  it('refuses a reused ticket before any byte reaches the VM', async () => {
    const consoleProxy = await proxy();
    const ticket = await issueConsoleTicket(vm);
    const first = new ConsoleClient(consoleProxy, `/?token=${ticket}`);
    await first.receive(RFB_VERSION.length);
    first.ws.close();
    await first.closed;
    expect(rfb.connections).toBe(1);

    const second = new ConsoleClient(consoleProxy, `/?token=${ticket}`);
    expect(await second.closed).toEqual({ code: 1008, reason: REFUSED });
    expect(rfb.connections).toBe(1);
  });

  it.each([
    ['unknown', async () => `${tenantId}.${'A'.repeat(16)}.${'A'.repeat(43)}`],
    ['malformed', async () => 'not-a-ticket'],
    ['other-tenant (tenant part forged)', async () => `acme.${(await issueConsoleTicket(vm)).split('.').slice(1).join('.')}`],
    [
      'expired',
      async () => {
        const ticket = await issueConsoleTicket(vm);
        advanceClock(31 * 60 * 1000);
        return ticket;
      },
    ],
  ])('refuses an %s ticket before any byte reaches the VM', async (_case, ticketFor) => {
    const consoleProxy = await proxy();
    const client = new ConsoleClient(consoleProxy, `/?token=${encodeURIComponent(await ticketFor())}`);
    expect(await client.closed).toEqual({ code: 1008, reason: REFUSED });
    expect(client.messages).toEqual([]);
    expect(rfb.connections).toBe(0);
  });

  it('refuses a ticket too long to be one (the API answers 400) as invalid, not as an outage', async () => {
    const consoleProxy = await proxy();
    const lines: string[] = [];
    const restore = captureOutput((text) => lines.push(text));
    try {
      const client = new ConsoleClient(consoleProxy, `/?token=${tenantId}.${'A'.repeat(600)}`);
      expect(await client.closed).toEqual({ code: 1008, reason: REFUSED });
    } finally {
      restore();
    }
    expect(lines.join('')).not.toContain('"level":"ERROR"');
    expect(lines.join('')).toContain('"reason":"ticket"');
    expect(rfb.connections).toBe(0);
  });

  it('refuses a connection without a ticket', async () => {
    const client = new ConsoleClient(await proxy(), '/websockify');
    expect(await client.closed).toEqual({ code: 1008, reason: 'No console ticket was presented.' });
    expect(rfb.connections).toBe(0);
  });

  it('leaves the genuine ticket valid when a forged tenant part is refused', async () => {
    const consoleProxy = await proxy();
    const ticket = await issueConsoleTicket(vm);
    const forged = new ConsoleClient(consoleProxy, `/?token=acme.${ticket.split('.').slice(1).join('.')}`);
    await forged.closed;
    expect(await redeemable(ticket)).toBe(true);
  });

  it('says so when the API cannot redeem, and when the VM is unreachable', async () => {
    const noApi = await proxy({ apiBaseUrl: 'http://127.0.0.1:9' });
    const withoutApi = new ConsoleClient(noApi, `/?token=${await issueConsoleTicket(vm)}`);
    expect(await withoutApi.closed).toEqual({ code: 1011, reason: 'The console service is unavailable; try again later.' });

    const closed = await startRfbServer();
    const unreachable = await createVm(tenantId, 'vm-gone', closed.port);
    await stopRfbServer(closed);
    const withoutVm = new ConsoleClient(await proxy(), `/?token=${await issueConsoleTicket(unreachable)}`);
    expect(await withoutVm.closed).toEqual({ code: 1011, reason: "The virtual machine's console cannot be reached." });
  });
});

describe('origin check', () => {
  it.each([
    ['a foreign origin', 'http://evil.test'],
    ['the right host on another scheme', 'https://console.test'],
    ['the opaque origin null', 'null'],
    ['no origin at all', null],
    // What a URL parser would canonicalize to an allowed origin, but no browser sends.
    ['an upper-case scheme', 'HTTP://console.test'],
    ['an upper-case host', 'http://Console.test'],
    ['a trailing slash', 'http://console.test/'],
    ['a trailing path', 'http://console.test/console'],
    ['the default port spelled out', 'http://console.test:80'],
    ['userinfo', 'http://user@console.test'],
    ['the origin twice', 'http://console.test, http://console.test'],
  ])('refuses %s with 403, before redeeming the ticket', async (_case, origin) => {
    const consoleProxy = await proxy();
    const ticket = await issueConsoleTicket(vm);
    apiServer.requests.length = 0;
    const client = new ConsoleClient(consoleProxy, `/?token=${ticket}`, origin);
    expect(await client.upgradeStatus()).toBe(403);
    expect(rfb.connections).toBe(0);
    expect(apiServer.requests).not.toContain('POST /console-proxy/v1/redemptions');
    expect(await redeemable(ticket)).toBe(true);
  });

  it.each([
    ['a decimal IPv4 address', 'http://2130706433:6380'],
    ['a hexadecimal IPv4 part', 'http://0x7f.0.0.1:6380'],
    ['a zero-padded IPv4 part', 'http://127.0.0.01:6380'],
    ['an upper-case scheme', 'HTTP://127.0.0.1:6380'],
  ])('refuses %s for an origin configured as an IP address', async (_case, origin) => {
    const consoleProxy = await proxy({ allowedOrigins: ['http://127.0.0.1:6380'] });
    const ticket = await issueConsoleTicket(vm);
    expect(await new ConsoleClient(consoleProxy, `/?token=${ticket}`, origin).upgradeStatus()).toBe(403);
    const allowed = new ConsoleClient(consoleProxy, `/?token=${ticket}`, 'http://127.0.0.1:6380');
    expect(await allowed.receive(RFB_VERSION.length)).toEqual(RFB_VERSION);
    allowed.ws.close();
    await allowed.closed;
  });
});

describe('session limits', () => {
  it('closes a session after the idle timeout', async () => {
    const consoleProxy = await proxy({ idleTimeoutMs: 300 });
    const recordsBefore = (await listConsoleSessions(tenantId, ...recentDays())).length;
    const client = new ConsoleClient(consoleProxy, `/?token=${await issueConsoleTicket(vm)}`);
    await client.receive(RFB_VERSION.length);
    const started = Date.now();
    expect(await client.closed).toEqual({ code: 1000, reason: 'The console session was closed after 0 s without activity.' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // The proxy writes the audit record after it closes the socket: wait for this session's (the newest).
    expect((await auditOf(tenantId, recordsBefore + 1)).at(-1)!.endReason).toBe('idle timeout');
  });

  it('keeps a busy session past the idle timeout but not past the maximum length', async () => {
    // Typing every 50 ms keeps a 1.5 s idle timeout from firing even when a loaded machine runs timers late.
    const consoleProxy = await proxy({ idleTimeoutMs: 1500, maxSessionMs: 3000 });
    const client = new ConsoleClient(consoleProxy, `/?token=${await issueConsoleTicket(vm)}`);
    await client.receive(RFB_VERSION.length);
    const started = Date.now();
    const typing = setInterval(() => client.ws.readyState === WebSocket.OPEN && client.ws.send(Buffer.from('k')), 50);
    const closed = await client.closed;
    clearInterval(typing);
    expect(closed).toEqual({ code: 1000, reason: 'The console session reached its maximum length.' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
  });

  it('caps concurrent sessions without consuming the refused ticket', async () => {
    const consoleProxy = await proxy({ maxSessions: 1 });
    const first = new ConsoleClient(consoleProxy, `/?token=${await issueConsoleTicket(vm)}`);
    await first.receive(RFB_VERSION.length);
    expect(consoleProxy.activeSessions()).toBe(1);

    const waiting = await issueConsoleTicket(vm);
    const second = new ConsoleClient(consoleProxy, `/?token=${waiting}`);
    expect(await second.closed).toEqual({ code: 1013, reason: 'The console proxy is at capacity; try again later.' });
    expect(rfb.connections).toBe(1);

    first.ws.close();
    await first.closed;
    await expect.poll(() => consoleProxy.activeSessions()).toBe(0);
    const third = new ConsoleClient(consoleProxy, `/?token=${waiting}`);
    expect(await third.receive(RFB_VERSION.length)).toEqual(RFB_VERSION);
    third.ws.close();
  });
});

describe('per-tenant share', () => {
  it("refuses a tenant's session beyond its share, keeping its ticket, while other tenants still get in", async () => {
    const consoleProxy = await proxy({ maxSessions: 4, maxSessionsPerTenant: 1 });
    const first = new ConsoleClient(consoleProxy, `/?token=${await issueConsoleTicket(vm)}`);
    await first.receive(RFB_VERSION.length);

    const waiting = await issueConsoleTicket(vm);
    const second = new ConsoleClient(consoleProxy, `/?token=${waiting}`);
    expect(await second.closed).toEqual({ code: 1013, reason: "Your organization's share of this console proxy's sessions is in use; try again later." });
    expect(await redeemable(waiting)).toBe(true);

    const other = await createVm(await createTenant('share'), 'vm-2', rfb.port);
    const third = new ConsoleClient(consoleProxy, `/?token=${await issueConsoleTicket(other)}`);
    expect(await third.receive(RFB_VERSION.length)).toEqual(RFB_VERSION);
    expect(consoleProxy.activeSessions()).toBe(2);

    first.ws.close();
    await first.closed;
    await expect.poll(() => consoleProxy.activeSessions()).toBe(1);
    const fourth = new ConsoleClient(consoleProxy, `/?token=${await issueConsoleTicket(vm)}`);
    expect(await fourth.receive(RFB_VERSION.length)).toEqual(RFB_VERSION);
    third.ws.close();
    fourth.ws.close();
  });
});

describe('per-tenant share under concurrency', () => {
  it('lets exactly the share in when many sessions of one tenant open at once', async () => {
    const consoleProxy = await proxy({ maxSessions: 10, maxSessionsPerTenant: 1 });
    const tenant = await createTenant('burst');
    const target = await createVm(tenant, 'vm-3', rfb.port);
    const tickets = await Promise.all(Array.from({ length: 5 }, () => issueConsoleTicket(target)));
    const clients = tickets.map((ticket) => new ConsoleClient(consoleProxy, `/?token=${ticket}`));
    const outcomes = await Promise.all(
      clients.map((client) => Promise.race([client.receive(RFB_VERSION.length).then(() => 'bridged'), client.closed.then(({ code }) => code)])),
    );
    expect(outcomes.filter((outcome) => outcome === 'bridged')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 1013)).toHaveLength(4);
    clients.forEach((client) => client.ws.close());
  });
});

describe('backpressure', () => {
  it('stops reading from the VM while the browser does not read', async () => {
    let written = 0;
    const flood = await startRfbServer((socket) => {
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (!socket.destroyed && written < 512 * 1024 * 1024) {
          written += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    const flooding = await createVm(tenantId, 'vm-flood', flood.port);
    const consoleProxy = await proxy({ highWaterMarkBytes: 256 * 1024 });
    const client = new ConsoleClient(consoleProxy, `/?token=${await issueConsoleTicket(flooding)}`);
    await client.receive(1);
    client.ws.pause();

    // With the browser not reading, the VM's writes block after the buffers in between fill up: wait until
    // nothing more is written for half a second, however long a busy machine takes to fill them.
    let previous = -1;
    const plateau = await eventually(async () => {
      const now = written;
      const settled = now === previous;
      previous = now;
      if (!settled) await new Promise((resolve) => setTimeout(resolve, 500));
      return settled ? now : undefined;
    }, 'the VM stopped writing');
    expect(plateau).toBeLessThan(64 * 1024 * 1024);

    client.ws.resume();
    await client.receive(plateau + 1);
    client.ws.terminate();
    await stopRfbServer(flood);
  });
});
