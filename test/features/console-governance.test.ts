/**
 * Console session governance through the real path: `npm start`'s stack (serverless-offline with its
 * WebSocket API, dynalite), two console proxies in this process holding order channels on that WebSocket API,
 * a third one in a process of its own (killed), and real WebSocket clients. The registry's heartbeat is 2 s
 * here (consoles of a dead proxy leave it after 6 s). Every console closed from outside must close with the
 * reason of the pushed order: a heartbeat that found the session gone would close it with another reason
 * ("The console session was ended."), so the reason proves the push.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePorts } from '../../scripts/local-dynamodb.js';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { CONSOLE_PAGE_ORIGIN, proxyConfig } from '../support/console-fixtures.js';
import { startStack, type Stack } from '../support/local-stack.js';
import { stackClient } from '../support/stack-client.js';
import { eventually } from '../support/wait.js';

const OPERATOR = { authorization: 'Bearer demo-operator-key' };
const PROXY_KEY = 'demo-console-proxy-key';
const CONSOLE = 'VirtualMachine.Interact.ConsoleInteract';
const SDK = '/sdk/vim25/8.0.3.0';
const RFB_HELLO = 'RFB 003.008\n';
const tenant = `gov-${randomBytes(3).toString('hex')}`;
const REASONS = {
  administrator: 'The console session was ended by an administrator.',
  userRevoked: 'Your access to this console was revoked.',
  vmDeleted: 'The virtual machine was deleted.',
  tenantDeleted: 'The organization was deleted.',
};
/** The bound the issue sets for ending a console on every proxy. */
const WITHIN_MS = 5_000;

let stack: Stack;
let vnc: Server;
let vncPort: number;
const vncSockets = new Set<Socket>();
let proxyA: ConsoleProxy;
let proxyB: ConsoleProxy;
const sessions: Record<string, string> = {};
const clients: ConsoleClient[] = [];

const { call, operator: operatorOf } = stackClient(() => stack.url);
const operator = (method: string, path: string, body?: unknown) => operatorOf(tenant, method, path, body);

const putVm = (moId: string, n: number) =>
  operator('PUT', `/vms/${moId}`, {
    instanceUuid: `7a1b7c2d-3e4f-4a5b-8c6d-${randomBytes(4).toString('hex')}000${n}`,
    name: moId,
    powerState: 'poweredOn',
    guestOsFamily: 'linux',
    host: { address: 'esx-01.test', sslThumbprintSha1: Array(20).fill('AB').join(':'), sslThumbprintSha256: Array(32).fill('CD').join(':') },
    vnc: { host: '127.0.0.1', port: vncPort },
    vmxPath: `[datastore1] ${moId}/${moId}.vmx`,
  });

const putPolicy = (consolePolicy: Record<string, number>) => operator('PUT', '', { displayName: 'Governance', consolePolicy });

async function login(user: string): Promise<string> {
  const response = await call('POST', `${SDK}/SessionManager/SessionManager/Login`, { body: { userName: `${user}@${tenant}`, password: 'gov-user-pass' } });
  expect(response.status).toBe(200);
  return response.headers.get('vmware-api-session-id')!;
}

const vim = (user: string, moId: string, method: string, body?: unknown) =>
  call('POST', `${SDK}/VirtualMachine/${moId}/${method}`, { headers: { 'vmware-api-session-id': sessions[user]! }, body });

/** A browser-like console client on one proxy. */
class ConsoleClient {
  readonly ws: WebSocket;
  received = '';
  closedAt?: number;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(proxy: ConsoleProxy, ticket: string) {
    this.ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/ticket/${encodeURIComponent(ticket)}`, { origin: CONSOLE_PAGE_ORIGIN });
    this.ws.on('message', (data: Buffer) => (this.received += data.toString('latin1')));
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => {
        this.closedAt = Date.now();
        resolve({ code, reason: reason.toString() });
      }),
    );
    clients.push(this);
  }

  /** Bridged: the VM's console has greeted it. */
  bridged = () => eventually(() => this.received.startsWith(RFB_HELLO), 'the console is bridged');
}

/** A console of `user` on `moId` through `proxy`, bridged; its registry id (`label`) found by QueryConnections. */
async function openConsole(user: string, moId: string, proxy: ConsoleProxy): Promise<{ client: ConsoleClient; label: string }> {
  const before = new Set(((await vim(user, moId, 'QueryConnections')).body as { label: string }[]).map((c) => c.label));
  const acquired = await vim(user, moId, 'AcquireTicket', { ticketType: 'webmks' });
  expect(acquired.status).toBe(200);
  const client = new ConsoleClient(proxy, acquired.body.ticket);
  await client.bridged();
  const after = (await vim(user, moId, 'QueryConnections')).body as { label: string }[];
  const added = after.filter((connection) => !before.has(connection.label));
  expect(added).toHaveLength(1);
  return { client, label: added[0]!.label };
}

/** Waits for the close and returns it with the time it took since `since`. */
async function closeOf(client: ConsoleClient, since: number) {
  const closed = await client.closed;
  return { ...closed, afterMs: client.closedAt! - since };
}

beforeAll(async () => {
  [vncPort] = (await freePorts(1)) as [number];
  vnc = createServer((socket) => {
    vncSockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => vncSockets.delete(socket));
    socket.write(RFB_HELLO);
  });
  await new Promise<void>((resolve) => vnc.listen(vncPort, '127.0.0.1', () => resolve()));
  stack = await startStack({ env: { CONSOLE_HEARTBEAT_SECONDS: '2' } });
  const config = (instanceId: string) =>
    proxyConfig(stack.url, { apiKey: PROXY_KEY, ordersUrl: stack.websocketUrl, instanceId, idleTimeoutMs: 600_000, maxSessionMs: 600_000 });
  [proxyA, proxyB] = await Promise.all([startConsoleProxy(config('proxy-a')), startConsoleProxy(config('proxy-b'))]);
  await Promise.all([proxyA.ordersReady(), proxyB.ordersReady()]);

  await operator('PUT', '', { displayName: 'Governance', consolePolicy: { connectionLimitPerVm: 2 } });
  for (const user of ['alice', 'bob', 'carol']) {
    await operator('PUT', `/users/${user}@${tenant}`, { password: 'gov-user-pass', privileges: [CONSOLE] });
    sessions[user] = await login(user);
  }
  for (const [n, moId] of ['vm-1', 'vm-2', 'vm-3', 'vm-4'].entries()) await putVm(moId, n);
}, 400_000);

afterAll(async () => {
  for (const client of clients) client.ws.terminate();
  await Promise.allSettled([proxyA?.close(), proxyB?.close()]);
  for (const socket of vncSockets) socket.destroy();
  vnc?.close();
  stack?.kill();
});

describe('console session governance', () => {
  it('QueryConnections lists exactly the open consoles; the VM limit refuses the next ticket; DropConnections ends one by push', async () => {
    const alice = await openConsole('alice', 'vm-1', proxyA);
    const bob = await openConsole('bob', 'vm-1', proxyB);

    const listed = await vim('alice', 'vm-1', 'QueryConnections', { _typeName: 'QueryConnections' });
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(2);
    expect(listed.body).toEqual(
      expect.arrayContaining([
        { _typeName: 'VirtualMachineMksConnection', label: alice.label, client: expect.stringMatching(/127\.0\.0\.1$/), userName: `alice@${tenant}` },
        { _typeName: 'VirtualMachineMksConnection', label: bob.label, client: expect.stringMatching(/127\.0\.0\.1$/), userName: `bob@${tenant}` },
      ]),
    );
    expect((await vim('alice', 'vm-2', 'QueryConnections')).body).toEqual([]);

    // The (limit+1)th console ticket of the VM: vSphere's fault; a device ticket is no console and is not counted.
    const refused = await vim('carol', 'vm-1', 'AcquireTicket', { ticketType: 'webmks' });
    expect(refused.status).toBe(500);
    expect(refused.body).toEqual({
      _typeName: 'MksConnectionLimitReached',
      faultstring: `Virtual machine vm-1 already has 2 open consoles; its limit is 2.`,
      connectionLimit: 2,
    });
    expect((await vim('carol', 'vm-1', 'AcquireMksTicket')).body._typeName).toBe('MksConnectionLimitReached');

    // The operator sees the same consoles, per tenant, per VM and per user.
    const ofTenant = await operator('GET', '/console-sessions');
    expect(ofTenant.consoleSessions.map((s: { sessionId: string }) => s.sessionId).sort()).toEqual([alice.label, bob.label].sort());
    const ofVm = await operator('GET', '/vms/vm-1/console-sessions?limit=1');
    expect(ofVm.consoleSessions).toHaveLength(1);
    expect(ofVm.next).toEqual(expect.any(String));
    const nextPage = await operator('GET', `/vms/vm-1/console-sessions?limit=1&next=${ofVm.next}`);
    expect([ofVm.consoleSessions[0].sessionId, nextPage.consoleSessions[0].sessionId].sort()).toEqual([alice.label, bob.label].sort());
    expect(nextPage.next).toBeUndefined();
    const ofBob = await operator('GET', `/users/bob@${tenant}/console-sessions`);
    expect(ofBob.consoleSessions).toEqual([
      expect.objectContaining({ sessionId: bob.label, userName: `bob@${tenant}`, vmMoId: 'vm-1', proxyInstance: 'proxy-b', consoleType: 'webmks' }),
    ]);

    const start = Date.now();
    const dropped = await vim('bob', 'vm-1', 'DropConnections', {
      _typeName: 'DropConnections',
      listOfConnections: [{ _typeName: 'VirtualMachineMksConnection', label: alice.label, client: '127.0.0.1', userName: `alice@${tenant}` }],
    });
    expect(dropped).toMatchObject({ status: 200, body: true });
    const closed = await closeOf(alice.client, start);
    expect(closed).toMatchObject({ code: 1008, reason: REASONS.administrator });
    expect(closed.afterMs).toBeLessThan(WITHIN_MS);
    expect((await vim('bob', 'vm-1', 'QueryConnections')).body.map((c: { label: string }) => c.label)).toEqual([bob.label]);
    // A label no longer open: false, as nothing listed could be dropped.
    expect((await vim('bob', 'vm-1', 'DropConnections', { listOfConnections: [{ label: alice.label }] })).body).toBe(false);
    // Room again under the limit.
    expect((await vim('carol', 'vm-1', 'AcquireTicket', { ticketType: 'webmks' })).status).toBe(200);

    // The operator ends the other one.
    const operatorStart = Date.now();
    await operator('DELETE', `/console-sessions/${bob.label}`);
    const bobClosed = await closeOf(bob.client, operatorStart);
    expect(bobClosed).toMatchObject({ code: 1008, reason: REASONS.administrator });
    expect(bobClosed.afterMs).toBeLessThan(WITHIN_MS);
    expect((await call('DELETE', `/operator/v1/tenants/${tenant}/console-sessions/${bob.label}`, { headers: OPERATOR })).status).toBe(404);
  });

  it('ends a user’s consoles on both proxies when the user is revoked, and a VM’s when it is deleted', async () => {
    const onA = await openConsole('carol', 'vm-2', proxyA);
    const onB = await openConsole('carol', 'vm-3', proxyB);
    const other = await openConsole('alice', 'vm-2', proxyB);
    const start = Date.now();
    await operator('DELETE', `/users/carol@${tenant}`);
    for (const console of [onA, onB]) {
      const closed = await closeOf(console.client, start);
      expect(closed).toMatchObject({ code: 1008, reason: REASONS.userRevoked });
      expect(closed.afterMs).toBeLessThan(WITHIN_MS);
    }
    expect(other.client.ws.readyState).toBe(WebSocket.OPEN);

    const second = await openConsole('alice', 'vm-2', proxyA);
    const vmStart = Date.now();
    await operator('DELETE', '/vms/vm-2');
    for (const console of [other, second]) {
      const closed = await closeOf(console.client, vmStart);
      expect(closed).toMatchObject({ code: 1008, reason: REASONS.vmDeleted });
      expect(closed.afterMs).toBeLessThan(WITHIN_MS);
    }
    await eventually(async () => (await operator('GET', '/console-sessions')).consoleSessions.length === 0, 'no console is open');
  });

  it('closes an idle console at the idle timeout and a busy one at the maximum duration', async () => {
    await putPolicy({ connectionLimitPerVm: 2, idleTimeoutSeconds: 2, maxDurationSeconds: 5 });
    const idleStart = Date.now();
    const idle = await openConsole('alice', 'vm-3', proxyA);
    const busyStart = Date.now();
    const busy = await openConsole('bob', 'vm-3', proxyB);
    const typing = setInterval(() => busy.client.ws.readyState === WebSocket.OPEN && busy.client.ws.send(Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61])), 200);
    try {
      const idleClosed = await closeOf(idle.client, idleStart);
      expect(idleClosed).toEqual({ code: 1000, reason: 'The console session was closed after 2 s without activity.', afterMs: expect.any(Number) });
      expect(idleClosed.afterMs).toBeGreaterThanOrEqual(2_000);
      const busyClosed = await closeOf(busy.client, busyStart);
      expect(busyClosed).toEqual({ code: 1000, reason: 'The console session reached its maximum length.', afterMs: expect.any(Number) });
      expect(busyClosed.afterMs).toBeGreaterThanOrEqual(5_000);
    } finally {
      clearInterval(typing);
      await putPolicy({ connectionLimitPerVm: 2 });
    }
    await eventually(async () => (await operator('GET', '/vms/vm-3/console-sessions')).consoleSessions.length === 0, 'the registry is empty');
  });

  it("forgets a killed proxy's consoles once their heartbeats stop", async () => {
    const [port] = (await freePorts(1)) as [number];
    const child = spawn(process.execPath, ['--import', 'tsx', 'proxy/main.ts'], {
      env: {
        PATH: process.env.PATH,
        CONSOLE_BROKER_API_URL: stack.url,
        CONSOLE_PROXY_KEY: PROXY_KEY,
        CONSOLE_PROXY_PORT: String(port),
        CONSOLE_PROXY_BASE_URL: `http://127.0.0.1:${port}`,
        CONSOLE_PROXY_ALLOWED_ORIGINS: CONSOLE_PAGE_ORIGIN,
        CONSOLE_PROXY_INSTANCE_ID: 'proxy-doomed',
      },
      cwd: process.cwd(),
      stdio: 'ignore',
    });
    try {
      const doomed = { url: `http://127.0.0.1:${port}` } as ConsoleProxy;
      await eventually(async () => (await fetch(`${doomed.url}/health`).catch(() => undefined))?.ok, 'the third proxy answers');
      const { label } = await openConsole('alice', 'vm-4', doomed);
      // Kept alive by heartbeats past the registry's window (3 × 2 s).
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      expect((await vim('alice', 'vm-4', 'QueryConnections')).body.map((c: { label: string }) => c.label)).toEqual([label]);
      child.kill('SIGKILL');
      await eventually(async () => (await vim('alice', 'vm-4', 'QueryConnections')).body.length === 0, "the killed proxy's console leaves the registry");
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('closes every console of a deleted tenant on both proxies', async () => {
    const onA = await openConsole('alice', 'vm-1', proxyA);
    const onB = await openConsole('bob', 'vm-3', proxyB);
    const start = Date.now();
    expect((await call('DELETE', `/operator/v1/tenants/${tenant}`, { headers: OPERATOR })).status).toBe(202);
    for (const console of [onA, onB]) {
      const closed = await closeOf(console.client, start);
      expect(closed).toMatchObject({ code: 1008, reason: REASONS.tenantDeleted });
      expect(closed.afterMs).toBeLessThan(WITHIN_MS);
    }
  });
});
