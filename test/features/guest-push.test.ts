/**
 * Guest processes over the push path, against `npm start`'s own stack (test/support/local-stack.ts): the real
 * serverless-offline WebSocket API ($connect with its authorizer, $disconnect, health; PostToConnection on its
 * /@connections API), the bundled handlers, dynalite, and real guest agents in this process (or, for the dead
 * agent, in a process of its own that is killed). The polling fallback keeps a smoke test here too.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { GuestAgent, type AgentConfig } from '../../agent/agent.js';
import { hashPassword } from '../../lib/protocol/secrets.js';
import { countRoundTrips, resetClient } from '../support/store-instrumentation.js';
import { getAgent } from '../../lib/store/guest.js';
import { api } from '../support/api.js';
import { labVmSpec } from '../support/lab.js';
import { startStack, type Stack } from '../support/local-stack.js';
import { stackClient } from '../support/stack-client.js';
import { tcpSwitch } from '../support/tcp-switch.js';
import { freePorts } from '../../scripts/local-dynamodb.js';
import { eventually } from '../support/wait.js';

const tenant = `push-${randomBytes(3).toString('hex')}`;
const GOOD = { type: 'USERNAME_PASSWORD', user_name: 'demo', password: 'demo-guest-pass', interactive_session: false };
const OPERATOR = { authorization: 'Bearer demo-operator-key' };
const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const vapiError = (type: string, message: string) => ({
  error_type: type.toUpperCase(),
  messages: [{ args: [], default_message: message, id: `com.vmware.vapi.std.errors.${type}` }],
});

let stack: Stack;
let work: string;
let admin: Record<string, string>;
let passwordHash: string;
const agents: GuestAgent[] = [];
const cleanups: (() => unknown)[] = [];

const { call, operator: operatorOf } = stackClient(() => stack.url);
const operator = (method: string, path: string, body?: unknown) => operatorOf(tenant, method, path, body);

const putVm = (moId: string, overrides: Record<string, unknown> = {}) => operator('PUT', `/vms/${moId}`, labVmSpec(moId, overrides));
const issueCredential = async (moId: string) => ((await operator('POST', `/vms/${moId}/agent-credentials`)) as { credential: string }).credential;

/** A real agent for `moId` (accepting demo / demo-guest-pass), started; its log lines are kept. */
async function startAgent(moId: string, options: Partial<AgentConfig> = {}): Promise<{ agent: GuestAgent; logs: string[] }> {
  const logs: string[] = [];
  const agent = new GuestAgent({
    apiUrl: stack.url,
    credential: options.credential ?? (await issueCredential(moId)),
    accounts: [{ userName: 'demo', passwordHash, home: work }],
    runAs: 'agent',
    terminateGraceMs: 1000,
    log: (message, fields) => logs.push(`${message} ${JSON.stringify(fields ?? {})}`),
    ...options,
  });
  await agent.start();
  agents.push(agent);
  return { agent, logs };
}

/** The VM's agent record in the stack's own table, read directly (as no API call shows it). */
async function stackAgentRecord(moId: string) {
  const saved = { ...process.env };
  Object.assign(process.env, { DYNAMODB_ENDPOINT: `http://127.0.0.1:${stack.ports[3]}`, TABLE_NAME: 'console-broker-local' });
  resetClient();
  try {
    return await getAgent(tenant, moId);
  } finally {
    for (const name of ['DYNAMODB_ENDPOINT', 'TABLE_NAME']) process.env[name] = saved[name];
    resetClient();
  }
}

const pushed = (logs: string[]) => eventually(() => logs.some((line) => line.startsWith('work is pushed over the WebSocket')), 'the agent connected');

const processes = (moId: string, action: string, body: unknown) =>
  call('POST', `/api/vcenter/vm/${moId}/guest/processes?action=${action}`, { headers: admin, body });
const processOf = (moId: string, pid: number, action: string, body: unknown = { credentials: GOOD }) =>
  call('POST', `/api/vcenter/vm/${moId}/guest/processes/${pid}?action=${action}`, { headers: admin, body });

async function start(moId: string, spec: Record<string, unknown>): Promise<number> {
  const response = await processes(moId, 'create', { credentials: GOOD, spec });
  expect(response.status, response.text).toBe(200);
  return response.body as number;
}

const finished = (moId: string, pid: number) =>
  eventually(async () => {
    const response = await processOf(moId, pid, 'get');
    return response.body?.finished ? response : undefined;
  }, `process ${pid} finished`);

/** A WebSocket to the stack's agents' API, as a raw client: opened, or refused with the upgrade's status. */
function openSocket(headers: Record<string, string>): Promise<{ socket?: WebSocket; status?: number; messages: string[] }> {
  return new Promise((resolve) => {
    const messages: string[] = [];
    const socket = new WebSocket(stack.websocketUrl, { headers });
    socket.on('message', (data) => messages.push(String(data)));
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode, messages });
      socket.terminate();
    });
    socket.once('error', () => resolve({ messages }));
  });
}

beforeAll(async () => {
  stack = await startStack();
  work = mkdtempSync(join(tmpdir(), 'guest-push-'));
  passwordHash = await hashPassword('demo-guest-pass');
  await operator('PUT', '', { displayName: 'Guest processes over push' });
  await operator('PUT', `/users/admin@${tenant}`, {
    password: 'push-admin-pass',
    privileges: ['VirtualMachine.GuestOperations.Execute', 'VirtualMachine.GuestOperations.Query'],
  });
  for (const moId of ['vm-1', 'vm-restart', 'vm-dead', 'vm-deaf', 'vm-poll', 'vm-proxy', 'vm-idle', 'vm-revoked']) await putVm(moId);
  await putVm('vm-off', { powerState: 'poweredOff' });
  const login = await call('POST', '/api/session', { headers: { authorization: `Basic ${Buffer.from(`admin@${tenant}:push-admin-pass`).toString('base64')}` } });
  admin = { 'vmware-api-session-id': login.body as string };
  const { logs } = await startAgent('vm-1');
  await pushed(logs);
}, 300_000);

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.stop()));
  for (const cleanup of cleanups) await cleanup();
  await call('DELETE', `/operator/v1/tenants/${tenant}`, { headers: OPERATOR }).catch(() => undefined);
  stack?.kill();
  rmSync(work, { recursive: true, force: true });
});

describe('guest processes with work pushed over the WebSocket', () => {
  it('creates /bin/echo, then gets and lists it with its exit code', async () => {
    const pid = await start('vm-1', { path: '/bin/echo', arguments: 'pushed' });
    const info = await finished('vm-1', pid);
    expect(info.status).toBe(200);
    expect(info.body).toEqual({ name: 'echo', owner: 'demo', command: '/bin/echo pushed', started: iso, finished: iso, exit_code: 0 });
    const listed = await processes('vm-1', 'list', { credentials: GOOD });
    expect(listed.status).toBe(200);
    expect(listed.body).toContainEqual({ name: 'echo', pid, owner: 'demo', command: '/bin/echo pushed', started: iso, finished: iso, exit_code: 0 });
  });

  it('deletes a running program, which then reports SIGTERM', async () => {
    const pid = await start('vm-1', { path: '/bin/sleep', arguments: '60' });
    const deleted = await processOf('vm-1', pid, 'delete');
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await finished('vm-1', pid)).body).toEqual({ name: 'sleep', owner: 'demo', command: '/bin/sleep 60', started: iso, finished: iso, exit_code: 143 });
  });

  it.each([
    ['guest credentials the agent refuses', 'vm-1', { credentials: { ...GOOD, password: 'wrong' }, spec: { path: '/bin/echo' } }, 401,
      vapiError('unauthenticated', 'Failed to authenticate with the guest operating system using the supplied credentials.')],
    ['a program that is not there', 'vm-1', { credentials: GOOD, spec: { path: '/no/such/program' } }, 403,
      vapiError('unauthorized', 'The program path cannot be accessed in the guest.')],
    ['a powered-off VM', 'vm-off', { credentials: GOOD, spec: { path: '/bin/echo' } }, 400,
      vapiError('not_allowed_in_current_state', 'Virtual machine vm-off is not running.')],
  ])('refuses %s', async (_case, moId, body, status, error) => {
    const response = await processes(moId, 'create', body);
    expect(response.status).toBe(status);
    expect(response.body).toEqual(error);
  });

  it('takes over from an earlier agent instance: the new one connects, adopts what runs and ends it on delete', async () => {
    const first = await startAgent('vm-restart');
    await pushed(first.logs);
    const long = await start('vm-restart', { path: '/bin/sleep', arguments: '300' });
    await first.agent.stop();
    const second = await startAgent('vm-restart');
    await pushed(second.logs);
    expect((await processOf('vm-restart', long, 'get')).body).toEqual({ name: 'sleep', owner: 'demo', command: '/bin/sleep 300', started: iso });
    expect((await processOf('vm-restart', long, 'delete')).status).toBe(204);
    expect((await processOf('vm-restart', long, 'get')).body).toEqual({ name: 'sleep', owner: 'demo', command: '/bin/sleep 300', started: iso, finished: iso });
  });

  it('answers 503 for a dead agent (killed: its connection closed): after the reconnect grace, then at once', async () => {
    const credentialFile = join(work, 'dead-credential');
    writeFileSync(credentialFile, await issueCredential('vm-dead'), { mode: 0o600 });
    const configFile = join(work, 'dead-agent.json');
    writeFileSync(configFile, JSON.stringify({ apiUrl: stack.url, credentialFile, runAs: 'agent', accounts: [{ userName: 'demo', passwordHash, home: work }] }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'agent/main.ts', configFile], { cwd: process.cwd(), env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    cleanups.push(() => child.kill('SIGKILL'));
    await eventually(() => output.includes('work is pushed over the WebSocket'), 'the agent process connected');
    expect(await start('vm-dead', { path: '/bin/true' })).toEqual(expect.any(Number));
    child.kill('SIGKILL');
    await eventually(async () => (await processes('vm-dead', 'create', { credentials: GOOD, spec: { path: '/bin/true' } })).status === 503, 'the dead agent noticed');
    const response = await processes('vm-dead', 'create', { credentials: GOOD, spec: { path: '/bin/true' } });
    expect(response.status).toBe(503);
    expect(response.body).toEqual(vapiError('service_unavailable', 'VMware Tools is not running in vm-dead.'));
  }, 120_000);

  it('sends a connected agent that never claims a notice naming the work only, then withdraws the item (503)', async () => {
    const credential = await issueCredential('vm-deaf');
    const bearer = { authorization: `Bearer ${credential}` };
    const publicKey = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect((await call('PUT', '/agent/v1/registration', { headers: bearer, body: { publicKey, agentVersion: 'test' } })).status).toBe(200);
    const { socket, messages } = await openSocket(bearer);
    expect(socket).toBeDefined();
    cleanups.push(() => socket!.close());
    const response = await processes('vm-deaf', 'create', { credentials: GOOD, spec: { path: '/bin/echo' } });
    expect(response.status).toBe(503);
    expect(response.body).toEqual(vapiError('service_unavailable', 'VMware Tools in vm-deaf did not take up the operation in time.'));
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]!)).toEqual({ type: 'work', workId: expect.stringMatching(/^[0-9a-z]{9}-[0-9a-f]{16}-[A-Za-z0-9_-]{43}$/) });
    // Withdrawn with the claim's own conditional delete: no agent can take it up later.
    const late = await call('POST', '/agent/v1/claims', { headers: bearer, body: { workId: JSON.parse(messages[0]!).workId } });
    expect(late.status).toBe(204);
  }, 120_000);

  it('refuses $connect without a valid agent credential, and closes the connection of a credential issued anew', async () => {
    expect((await openSocket({})).status).toBe(403);
    expect((await openSocket({ authorization: `Bearer ${tenant}.vm-revoked.${'A'.repeat(43)}` })).status).toBe(403);
    const { socket } = await openSocket({ authorization: `Bearer ${await issueCredential('vm-revoked')}` });
    expect(socket).toBeDefined();
    const closed = new Promise((resolve) => socket!.once('close', resolve));
    await issueCredential('vm-revoked');
    await closed;
  });
});

describe("a guest create's DynamoDB calls on the API side", () => {
  it('are at most 7 (6 before the lockout reservation), and none is a write while waiting (reads only)', async () => {
    // The create handler in this process (so its calls can be counted), on the stack's table and WebSocket API,
    // the agent as before: connected to the stack, claiming and answering through its Lambdas.
    const saved = { ...process.env };
    Object.assign(process.env, {
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${stack.ports[3]}`,
      TABLE_NAME: 'console-broker-local',
      AGENT_CONNECTIONS_ENDPOINT: stack.websocketUrl.replace(/^ws:/, 'http:'),
    });
    resetClient();
    try {
      const create = () =>
        api('POST', '/api/vcenter/vm/vm-1/guest/processes?action=create', { headers: admin, body: { credentials: GOOD, spec: { path: '/bin/true' } } });
      expect((await create()).status).toBe(200); // the verifier of these credentials is fresh from here on
      const counts: number[] = [];
      for (let round = 0; round < 5; round += 1) {
        const { result, roundTrips, live } = await countRoundTrips(create);
        expect(result.status, result.text).toBe(200);
        // Session and VM, the guest state, the guest user's reserved check (UpdateItem), the work item, then
        // only consistent reads of the answer.
        expect([...live.actions].sort()).toEqual(['BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem']);
        counts.push(roundTrips);
      }
      // The reads back off (40 ms, doubling): an answer within ~300 ms costs at most three of them. A busy
      // machine can make any one create slower, so the best of five is held to the bound.
      expect(Math.min(...counts), `per create: ${counts.join(', ')}`).toBeLessThanOrEqual(7);
    } finally {
      for (const name of ['DYNAMODB_ENDPOINT', 'TABLE_NAME', 'AGENT_CONNECTIONS_ENDPOINT']) process.env[name] = saved[name];
      resetClient();
    }
  });
});

describe('the polling fallback', () => {
  it('polls over HTTP, saying so, when configured to', async () => {
    const { logs } = await startAgent('vm-poll', { transport: 'poll', pollIntervalMs: 100, maxPollIntervalMs: 400 });
    expect(logs.some((line) => line.startsWith('polling for work over HTTP (every 100–400 ms): transport "poll" is configured'))).toBe(true);
    const pid = await start('vm-poll', { path: '/bin/echo', arguments: 'polled' });
    expect((await finished('vm-poll', pid)).body.exit_code).toBe(0);
  });

  it('polls when a proxy refuses the WebSocket upgrade', async () => {
    const proxy: Server = createServer((_request, response) => response.writeHead(404).end());
    proxy.on('upgrade', (_request, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => proxy.close());
    const { logs } = await startAgent('vm-proxy', {
      websocketUrl: `ws://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      fallbackAfterFailures: 2,
      reconnectBaseMs: 50,
      reconnectCapMs: 200,
      pollIntervalMs: 100,
      maxPollIntervalMs: 400,
    });
    await eventually(() => logs.some((line) => line.includes('the WebSocket cannot be held (the upgrade was answered 403)')), 'the fallback');
    const pid = await start('vm-proxy', { path: '/bin/echo', arguments: 'behind a proxy' });
    expect((await finished('vm-proxy', pid)).body.exit_code).toBe(0);
  });

  it('polls when the WebSocket URL cannot even be tried, and keeps running', async () => {
    await putVm('vm-bad-url');
    const { logs } = await startAgent('vm-bad-url', {
      websocketUrl: 'not a url',
      fallbackAfterFailures: 2,
      reconnectBaseMs: 50,
      reconnectCapMs: 200,
      pollIntervalMs: 100,
      maxPollIntervalMs: 400,
    });
    await eventually(() => logs.some((line) => line.includes('the WebSocket cannot be held (Invalid URL')), 'the fallback');
    const pid = await start('vm-bad-url', { path: '/bin/echo', arguments: 'no websocket' });
    expect((await finished('vm-bad-url', pid)).body.exit_code).toBe(0);
  });
});

/**
 * A relay in front of the WebSocket API: counts every frame the agent sends (data and control) and each
 * connection. Like API Gateway, it completes the agent's handshake only once the connection behind it is open
 * (its `$connect` answered), and refuses it with that answer's status otherwise.
 */
async function relay() {
  const frames: { at: number; kind: string }[] = [];
  const clients: WebSocket[] = [];
  const upstreams = new Map<IncomingMessage, WebSocket>();
  /** While held, new handshakes wait (as a slow network or a busy API Gateway makes them). */
  const held: (() => void)[] = [];
  const gate = {
    holding: false,
    get waiting() {
      return held.length;
    },
    release() {
      gate.holding = false;
      for (const resume of held.splice(0)) resume();
    },
  };
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (info, accept) => {
      if (gate.holding) {
        held.push(() => connectUpstream(info, accept));
        return;
      }
      connectUpstream(info, accept);
    },
  });
  function connectUpstream(info: { req: IncomingMessage }, accept: (ok: boolean, status?: number) => void) {
    const upstream = new WebSocket(stack.websocketUrl, { headers: { authorization: info.req.headers.authorization ?? '' } });
    let answered = false;
    const answer = (ok: boolean, status?: number) => {
      if (answered) return;
      answered = true;
      if (ok) upstreams.set(info.req, upstream);
      accept(ok, status);
    };
    upstream.once('open', () => answer(true));
    upstream.once('unexpected-response', (_request, response) => answer(false, response.statusCode));
    upstream.once('error', () => answer(false, 502));
  }
  server.on('connection', (client, request) => {
    clients.push(client);
    const upstream = upstreams.get(request)!;
    upstreams.delete(request);
    upstream.on('message', (data) => client.readyState === WebSocket.OPEN && client.send(String(data)));
    upstream.on('close', () => client.close());
    client.on('message', (data) => {
      frames.push({ at: Date.now(), kind: 'message' });
      if (upstream.readyState === WebSocket.OPEN) upstream.send(String(data));
    });
    client.on('ping', () => frames.push({ at: Date.now(), kind: 'ping' }));
    client.on('close', () => upstream.close());
  });
  await new Promise((resolve) => server.once('listening', resolve));
  cleanups.push(() => server.close());
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, frames, clients, gate };
}

describe('an idle agent on the wire', () => {
  it('sends at most a handful of frames in 10 minutes (health every 9 minutes, at 1/100 scale)', async () => {
    const { url, frames } = await relay();
    const scale = 100;
    const { logs } = await startAgent('vm-idle', { websocketUrl: url, healthIntervalMs: (9 * 60_000) / scale });
    await pushed(logs);
    const since = Date.now();
    const window = (10 * 60_000) / scale;
    await eventually(() => frames.length >= 1 && Date.now() - since >= window, 'ten scaled minutes and a health message');
    const inWindow = frames.filter((frame) => frame.at - since <= window);
    // Timers fire late, never early: at most one health message per 9 (scaled) minutes, and nothing else.
    expect(inWindow.length).toBeLessThanOrEqual(2);
    expect(frames.every((frame) => frame.kind === 'message')).toBe(true);
    // The health messages keep the agent "running" on the API's side.
    const tools = await call('POST', `/api/vcenter/vm/vm-idle/guest/processes?action=list`, { headers: admin, body: { credentials: GOOD } });
    expect(tools.status).toBe(200);
  }, 120_000);

  it('renews its connection before the 2-hour cut, and reconnects after losing it, with work pushed all along', async () => {
    const { url, clients } = await relay();
    await putVm('vm-renew');
    const { logs } = await startAgent('vm-renew', { websocketUrl: url, renewAfterMs: 1000, reconnectBaseMs: 100, reconnectCapMs: 1000 });
    await pushed(logs);
    await eventually(() => clients.length >= 3, 'two renewals');
    expect(clients.filter((client) => client.readyState === WebSocket.OPEN).length).toBeLessThanOrEqual(2);
    const renewed = await start('vm-renew', { path: '/bin/echo', arguments: 'renewed' });
    expect((await finished('vm-renew', renewed)).body.exit_code).toBe(0);
    // The connection lost (as API Gateway cuts it): the agent opens a new one and work reaches it again.
    const opened = clients.length;
    for (const client of clients) client.terminate();
    await eventually(() => clients.length > opened && clients.at(-1)!.readyState === WebSocket.OPEN, 'a reconnect');
    await eventually(async () => (await processes('vm-renew', 'create', { credentials: GOOD, spec: { path: '/bin/true' } })).status === 200, 'work pushed after the reconnect');
  }, 120_000);

  it('runs a guest process created while the agent re-opens its connection: the API waits for it (the reconnect grace)', async () => {
    const { url, clients, gate } = await relay();
    // The agent's HTTP calls go through a switch too, so that its "I am alive" heartbeat on losing the
    // connection cannot reach the API either: all the API knows is that the connection closed.
    const [httpPort] = (await freePorts(1)) as [number];
    const http = tcpSwitch(httpPort, stack.ports[0]!);
    await http.on();
    cleanups.push(() => http.off());
    await putVm('vm-reopen');
    const { logs } = await startAgent('vm-reopen', { apiUrl: `http://127.0.0.1:${httpPort}`, websocketUrl: url, reconnectBaseMs: 50, reconnectCapMs: 200 });
    await pushed(logs);
    // The connection is cut and the agent's new one is held up in the network, as under load.
    gate.holding = true;
    await http.off();
    for (const client of clients) client.terminate();
    await eventually(() => gate.waiting > 0, "the agent's new connection under way");
    // The API has seen the connection close ($disconnect): from here only the grace keeps the VM's tools "running".
    await eventually(async () => (await stackAgentRecord('vm-reopen'))?.connectionId === undefined, 'the $disconnect recorded');
    const create = processes('vm-reopen', 'create', { credentials: GOOD, spec: { path: '/bin/echo', arguments: 'reopened' } });
    // Without the grace the API answers 503 "not connected" / "not running" at once; with it the create waits.
    const early = await Promise.race([create.then((response) => response.status), new Promise((resolve) => setTimeout(resolve, 1000, 'waiting'))]);
    expect(early).toBe('waiting');
    await http.on();
    gate.release();
    const response = await create;
    expect(response.status, response.text).toBe(200);
    expect((await finished('vm-reopen', response.body as number)).body).toEqual({
      name: 'echo',
      owner: 'demo',
      command: '/bin/echo reopened',
      started: iso,
      finished: iso,
      exit_code: 0,
    });
  }, 120_000);
});
