/**
 * Recording in the console proxy (issue 27), through the real proxy, the real API over HTTP (recording policy
 * per VM through the operator API, the grant at redemption, the manifest completed by the end report), a real
 * VNC server (the demo's screen, scripts/demo-screen/) or a fast stand-in VM, and a real S3 API (s3rver,
 * test/support/recording-storage.ts): what the browser received from the VM is what the recording holds, byte
 * for byte and in order, in chunks numbered from 000000 without a gap; input only when the policy says so;
 * storage down at the start (mandatory: refused; optional: opened, not recorded), lost midway and back (nothing
 * lost), a proxy stopped mid-recording (everything stored, then the end report), and memory held to its limits
 * whatever the screen does.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listConsoleSessions } from '../../lib/core/audit.js';
import { RecordingManifestSchema, type RecordingManifest } from '../../lib/protocol/console-proxy.js';
import { chunkKey, CHUNK_BYTES, FROM_BROWSER, FROM_VM, headerKey, recordingKeyPrefix, RECORDING_FORMAT } from '../../lib/protocol/recording.js';
import type { ConsoleSessionRecord } from '../../lib/records.js';
import { demoScreens } from '../../scripts/demo-data.js';
import { startRfbServer, type RfbServer } from '../../scripts/demo-screen/rfb.js';
import { DemoScreen } from '../../scripts/demo-screen/screen.js';
import type { ConsoleProxyConfig } from '../../proxy/config.js';
import { NO_STORAGE } from '../../proxy/recording/recorder.js';
import { Refusal } from '../../proxy/refusals.js';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { api, loginVcenter, OPERATOR, session } from '../support/api.js';
import { CONSOLE_PAGE_ORIGIN, proxyConfig } from '../support/console-fixtures.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';
import { createLab, type Lab } from '../support/lab.js';
import { startRecordingStorage, type RecordingStorageForTests } from '../support/recording-storage.js';
import { eventually } from '../support/wait.js';

const MiB = 1024 * 1024;
/** A whole 800×600 screen in Raw encoding at 32 bits per pixel: what a non-incremental update request brings. */
const FULL_SCREEN_BYTES = 800 * 600 * 4;
const WAIT = { timeoutMs: 120_000, intervalMs: 50 };

let storage: RecordingStorageForTests;
let apiServer: ApiServer;
let lab: Lab;
let sessionId: string;
const stopAfter: { close(): Promise<unknown> }[] = [];

beforeAll(async () => {
  storage = await startRecordingStorage();
  apiServer = await startApiServer();
  lab = await createLab('rec', 'Recorded');
  // The tenant records nothing; each test's VM says how it is recorded (the VM's policy overrides the tenant's).
  await lab.put('', { displayName: 'Recorded', recordingPolicy: { record: false } });
  await lab.putUser('alice', ['VirtualMachine.Interact.ConsoleInteract']);
  sessionId = await loginVcenter(`alice@${lab.tenant}`, 'lab-user-pass');
});
afterEach(async () => {
  for (const thing of stopAfter.splice(0).reverse()) await thing.close();
  await storage.start();
});
afterAll(async () => {
  await apiServer?.close();
  await storage?.close();
});

interface Policy {
  record?: boolean;
  recordInput?: boolean;
  mandatory?: boolean;
  retentionDays?: number;
}

/**
 * A VM of this test's own whose console is `vncPort`, recorded by `policy`, and a console ticket for it, issued
 * to alice as vCenter issues one (`POST /api/vcenter/vm/{vm}/console/tickets`).
 */
async function issue(vncPort: number, policy: Policy) {
  const moId = `vm-${randomUUID().slice(0, 8)}`;
  await lab.putVm(moId, { vnc: { host: '127.0.0.1', port: vncPort }, recordingPolicy: { record: true, ...policy } });
  const issued = await api('POST', `/api/vcenter/vm/${moId}/console/tickets`, { headers: session(sessionId), body: { type: 'WEBMKS' } });
  expect(issued.status).toBe(201);
  const ticket = /\/ticket\/([^/]+)$/.exec(issued.body.ticket as string)![1]!;
  return { ticket, moId };
}

/** The VM's recording manifest as the operator API lists it (undefined until the redemption made one). */
async function manifestOf(moId: string): Promise<RecordingManifest | undefined> {
  const listed = await api('GET', `/operator/v1/tenants/${lab.tenant}/recordings?vm=${moId}`, { headers: OPERATOR });
  expect(listed.status).toBe(200);
  const [manifest] = listed.body.recordings as unknown[];
  return manifest === undefined ? undefined : RecordingManifestSchema.parse(manifest);
}

/** The manifest once the proxy's end report has completed it, and the session's audit record. */
async function endedRecording(moId: string): Promise<{ manifest: RecordingManifest; keyPrefix: string; audit: ConsoleSessionRecord }> {
  const manifest = await eventually(async () => {
    const found = await manifestOf(moId);
    return found && found.state !== 'recording' ? found : undefined;
  }, 'the manifest completed by the end report', WAIT);
  const day = manifest.startedAt.slice(0, 10);
  const audit = await eventually(async () => (await listConsoleSessions(lab.tenant, day)).find((record) => record.sessionId === manifest.sessionId), 'the audit record', WAIT);
  return { manifest, keyPrefix: recordingKeyPrefix(lab.tenant, moId, manifest.recordingId), audit };
}

/** The key prefix of the VM's recording, once it is redeemed. */
async function keyPrefixOf(moId: string): Promise<string> {
  const manifest = await eventually(() => manifestOf(moId), 'the manifest', WAIT);
  return recordingKeyPrefix(lab.tenant, moId, manifest.recordingId);
}

async function startProxy(overrides: Partial<ConsoleProxyConfig> = {}): Promise<ConsoleProxy> {
  const proxy = await startConsoleProxy(proxyConfig(apiServer.url, { recording: storage.config, ...overrides }));
  stopAfter.push(proxy);
  return proxy;
}

async function startScreen(): Promise<{ screen: DemoScreen; server: RfbServer }> {
  const { vnc: _endpoint, ...identity } = demoScreens()[0]!;
  const screen = new DemoScreen(identity, { now: () => new Date('2026-12-01T09:30:00Z') });
  const server = await startRfbServer(screen, { port: 0 });
  stopAfter.push(server);
  return { screen, server };
}

/** A console as a browser holds it: what it sent and received, and how it was closed. */
async function openConsole(proxy: ConsoleProxy, ticket: string) {
  const ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/?token=${encodeURIComponent(ticket)}`, ['binary'], { origin: CONSOLE_PAGE_ORIGIN });
  const received: Buffer[] = [];
  const sent: Buffer[] = [];
  let total = 0;
  ws.on('message', (data: Buffer) => {
    received.push(data);
    total += data.length;
  });
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const console_ = {
    ws,
    closed,
    sent,
    received: () => Buffer.concat(received),
    total: () => total,
    send(data: Buffer | number[]) {
      const bytes = Buffer.from(data);
      sent.push(bytes);
      ws.send(bytes);
    },
    until: (bytes: number, what: string) => eventually(() => total >= bytes, what, WAIT),
  };
  await Promise.race([once(ws, 'open'), closed]);
  return console_;
}
type Console = Awaited<ReturnType<typeof openConsole>>;

/** RFB 3.8 as noVNC speaks it, up to the first whole-screen update. */
async function handshake(console_: Console, name: string): Promise<void> {
  await console_.until(12, 'ProtocolVersion');
  console_.send(Buffer.from('RFB 003.008\n'));
  await console_.until(14, 'security types');
  console_.send([1]);
  await console_.until(18, 'SecurityResult');
  console_.send([1]); // ClientInit, shared
  const init = 18 + 24 + Buffer.byteLength(name);
  await console_.until(init, 'ServerInit');
  requestUpdate(console_, false);
  await console_.until(init + FULL_SCREEN_BYTES, 'the whole screen');
}

function requestUpdate(console_: Console, incremental: boolean): void {
  const request = Buffer.from([3, incremental ? 1 : 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  request.writeUInt16BE(800, 6);
  request.writeUInt16BE(600, 8);
  console_.send(request);
}

/** Types `text` and Enter as key events, each followed by an update request, as a browser does. */
async function type(console_: Console, screen: DemoScreen, text: string): Promise<void> {
  for (const keysym of [...[...text].map((character) => character.charCodeAt(0)), 0xff0d]) {
    for (const down of [1, 0]) {
      const event = Buffer.from([4, down, 0, 0, 0, 0, 0, 0]);
      event.writeUInt32BE(keysym, 4);
      console_.send(event);
    }
    requestUpdate(console_, true);
  }
  await eventually(() => screen.entered.includes(text), 'the typed line at the VM', WAIT);
}

/** Every key of a recording: its header, then chunks numbered from 000000 without a gap. */
function expectContiguous(keys: string[], keyPrefix: string, chunks: number): void {
  expect(keys).toEqual([...Array.from({ length: chunks }, (_, index) => chunkKey(keyPrefix, index)), headerKey(keyPrefix)].sort());
}

const metric = (proxy: ConsoleProxy, name: string): number => {
  const line = proxy.metrics.render().split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1));
};

describe('a recorded console', () => {
  it('holds exactly what the browser received from the VM, in order, in contiguous chunks; no input unless the policy says so', async () => {
    const proxy = await startProxy();
    const { screen, server } = await startScreen();
    const { ticket, moId } = await issue(server.port, { retentionDays: 30 });
    const console_ = await openConsole(proxy, ticket);
    await handshake(console_, screen.identity.name);
    expect(metric(proxy, 'console_proxy_recordings_open')).toBe(1);
    expect(await manifestOf(moId)).toMatchObject({ state: 'recording', input: false, userName: `alice@${lab.tenant}` });
    await type(console_, screen, 'echo recorded');
    // The VM ends the session: everything the proxy read from it has gone to the browser before the close.
    await server.close();
    expect((await console_.closed).code).toBe(1000);

    const { manifest, keyPrefix, audit } = await endedRecording(moId);
    const recording = await storage.read(keyPrefix);
    expect(recording.bytes(FROM_VM).equals(console_.received())).toBe(true);
    expect(recording.frames.filter((frame) => frame.direction === FROM_BROWSER)).toEqual([]);
    // The screen took more than one chunk: 1.9 MB for the first update alone.
    expect(manifest.chunks).toBeGreaterThanOrEqual(2);
    expectContiguous(recording.keys, keyPrefix, manifest.chunks!);
    const offsets = recording.frames.map((frame) => frame.offsetMs);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    let stored = 0;
    for (let index = 0; index < manifest.chunks!; index += 1) {
      const chunk = await storage.storage.get(chunkKey(keyPrefix, index));
      expect(chunk.length).toBeLessThanOrEqual(CHUNK_BYTES);
      stored += chunk.length;
    }
    // The end report as the API keeps it: the manifest completed, and the session's audit record.
    expect(manifest).toMatchObject({ state: 'recorded', chunks: manifest.chunks, bytes: stored, input: false, vmMoId: moId, endedAt: expect.any(String) });
    expect(manifest.reason).toBeUndefined();
    expect(audit).toMatchObject({ bytesFromVm: console_.received().length, endReason: 'vm closed' });
    expect(recording.header).toEqual({
      format: RECORDING_FORMAT,
      recordingId: manifest.recordingId,
      tenantId: lab.tenant,
      vmMoId: moId,
      userName: `alice@${lab.tenant}`,
      sessionId: manifest.sessionId,
      startedAt: expect.any(String),
      input: false,
    });
    await eventually(() => metric(proxy, 'console_proxy_recordings_open') === 0, 'no recording open', WAIT);
    expect(metric(proxy, 'console_proxy_recording_bytes_queued')).toBe(0);
    expect(metric(proxy, 'console_proxy_recording_chunks_total{outcome="stored"}')).toBe(manifest.chunks);
  });

  it('records what the browser sent, too, when the policy records input', async () => {
    const proxy = await startProxy();
    const { screen, server } = await startScreen();
    const { ticket, moId } = await issue(server.port, { recordInput: true, retentionDays: 7 });
    const console_ = await openConsole(proxy, ticket);
    await handshake(console_, screen.identity.name);
    await type(console_, screen, 'whoami');
    await server.close();
    await console_.closed;

    const { manifest, keyPrefix, audit } = await endedRecording(moId);
    expect(manifest).toMatchObject({ state: 'recorded', input: true });
    const recording = await storage.read(keyPrefix);
    expect(recording.header.input).toBe(true);
    expect(recording.bytes(FROM_VM).equals(console_.received())).toBe(true);
    // What reached the VM (bytesToVm of what the browser sent) is what was recorded, every key event in it.
    const sent = Buffer.concat(console_.sent);
    expect(audit.bytesToVm).toBeGreaterThan(sent.length - 10 * 12);
    expect(recording.bytes(FROM_BROWSER).equals(sent.subarray(0, audit.bytesToVm))).toBe(true);
  });
});

/** The storage taken away (stopped), or never given to the proxy; and the reason the report then gives. */
const UNAVAILABLE: [string, () => Promise<void>, Partial<ConsoleProxyConfig>, unknown][] = [
  ['stopped', () => storage.stop(), {}, expect.stringMatching(/^the recording storage is unavailable \(/)],
  ['not configured', async () => undefined, { recording: undefined }, NO_STORAGE],
];

describe('recording storage unavailable when the console opens', () => {
  it.each(UNAVAILABLE)('(%s) refuses a console that must be recorded, and says why', async (_case, takeAway, overrides, reason) => {
    const proxy = await startProxy(overrides);
    const { server } = await startScreen();
    await takeAway();
    const { ticket, moId } = await issue(server.port, { mandatory: true });
    const console_ = await openConsole(proxy, ticket);
    expect(await console_.closed).toEqual({ code: 1013, reason: Refusal.recording });
    expect(Refusal.recording).toBe('This console must be recorded and the recording storage is unavailable.');
    expect(console_.total()).toBe(0);
    const { manifest, audit } = await endedRecording(moId);
    expect(manifest).toMatchObject({ state: 'not recorded', reason, chunks: 0, bytes: 0 });
    expect(audit).toMatchObject({ bytesToVm: 0, bytesFromVm: 0, endReason: 'recording unavailable' });
    await eventually(() => server.connections() === 0, 'no VNC connection left', WAIT);
  });

  it.each(UNAVAILABLE)('(%s) opens a console whose recording is optional, and reports it not recorded', async (_case, takeAway, overrides, reason) => {
    const proxy = await startProxy(overrides);
    const { screen, server } = await startScreen();
    await takeAway();
    const { ticket, moId } = await issue(server.port, { mandatory: false });
    const console_ = await openConsole(proxy, ticket);
    await handshake(console_, screen.identity.name);
    await type(console_, screen, 'still works');
    await server.close();
    await console_.closed;
    const { manifest, keyPrefix } = await endedRecording(moId);
    expect(manifest).toMatchObject({ state: 'not recorded', reason, chunks: 0, bytes: 0 });
    await storage.start();
    expect(await storage.storage.list(keyPrefix)).toEqual([]);
  });

  it('records nothing (and needs no storage) for a console its policy does not record', async () => {
    const proxy = await startProxy({ recording: undefined });
    const { screen, server } = await startScreen();
    const { ticket, moId } = await issue(server.port, { record: false });
    const console_ = await openConsole(proxy, ticket);
    await handshake(console_, screen.identity.name);
    await server.close();
    await console_.closed;
    const day = new Date().toISOString().slice(0, 10);
    const audit = await eventually(async () => (await listConsoleSessions(lab.tenant, day)).find((record) => record.vmMoId === moId), 'the audit record', WAIT);
    expect(audit).not.toHaveProperty('recording');
    expect(await manifestOf(moId)).toBeUndefined();
  });
});

describe('recording storage lost midway', () => {
  it('keeps every chunk: what could not be stored waits, and is stored once the storage is back', async () => {
    const proxy = await startProxy();
    const { screen, server } = await startScreen();
    const { ticket, moId } = await issue(server.port, { mandatory: true });
    const console_ = await openConsole(proxy, ticket);
    await handshake(console_, screen.identity.name);
    const keyPrefix = await keyPrefixOf(moId);
    await eventually(async () => (await storage.storage.list(keyPrefix)).includes(chunkKey(keyPrefix, 0)), 'chunk 0 stored', WAIT);
    await storage.stop();
    const before = console_.total();
    requestUpdate(console_, false);
    await console_.until(before + FULL_SCREEN_BYTES, 'a second whole screen while storage is down');
    await eventually(() => metric(proxy, 'console_proxy_recording_chunks_total{outcome="failed"}') > 0, 'a chunk failed to store', WAIT);
    await storage.start();
    await type(console_, screen, 'after the outage');
    await server.close();
    await console_.closed;

    const { manifest } = await endedRecording(moId);
    expect(manifest.state).toBe('recorded');
    const recording = await storage.read(keyPrefix);
    expect(recording.bytes(FROM_VM).equals(console_.received())).toBe(true);
    expectContiguous(recording.keys, keyPrefix, manifest.chunks!);
  });
});

describe('a proxy stopped mid-recording (SIGTERM)', () => {
  it('stores every chunk it holds, then sends the end report, within the grace', async () => {
    const proxy = await startProxy();
    const { screen, server } = await startScreen();
    const { ticket, moId } = await issue(server.port, { mandatory: true });
    const console_ = await openConsole(proxy, ticket);
    await handshake(console_, screen.identity.name);
    await type(console_, screen, 'going down');

    const drained = await proxy.close(60_000);
    expect(drained).toMatchObject({ auditsLost: 0 });
    expect((await console_.closed).code).toBe(1001);
    // The report reached the API before close() returned.
    const manifest = (await manifestOf(moId))!;
    expect(manifest.state).toBe('recorded');
    const keyPrefix = recordingKeyPrefix(lab.tenant, moId, manifest.recordingId);
    const recording = await storage.read(keyPrefix);
    expect(recording.bytes(FROM_VM).equals(console_.received())).toBe(true);
    expectContiguous(recording.keys, keyPrefix, manifest.chunks!);
  });

  it('with the storage down, gives up at the deadline and still sends the report: incomplete', async () => {
    const proxy = await startProxy();
    const { screen, server } = await startScreen();
    const { ticket, moId } = await issue(server.port, { mandatory: true });
    const console_ = await openConsole(proxy, ticket);
    await handshake(console_, screen.identity.name);
    await storage.stop();
    await type(console_, screen, 'nowhere to go');

    expect(await proxy.close(5_000)).toMatchObject({ auditsLost: 0 });
    expect(await manifestOf(moId)).toMatchObject({ state: 'incomplete', reason: expect.stringMatching(/could not be stored in time/) });
  });
});

// ---- a fast screen: a stand-in VM that, once the console sends a byte, sends `total` bytes as fast as the
// path takes them, then closes.
async function startFloodVm(total: number): Promise<Server> {
  const update = Buffer.alloc(64 * 1024, 0x5a);
  const server = createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => pump());
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const piece = update.subarray(0, Math.min(update.length, total - sent));
        piece[0] = sent % 251; // not all alike, so that a misplaced chunk shows
        sent += piece.length;
        if (!socket.write(Buffer.from(piece))) return void socket.once('drain', pump);
      }
      socket.end();
    };
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stopAfter.push({ close: () => new Promise((resolve) => server.close(resolve)) });
  return server;
}

/** Samples the recordings' queued bytes at every turn of the event loop until `done`; the largest seen. */
async function peakQueued(proxy: ConsoleProxy, done: Promise<unknown>): Promise<number> {
  let finished = false;
  void done.finally(() => (finished = true));
  let peak = 0;
  while (!finished) {
    peak = Math.max(peak, metric(proxy, 'console_proxy_recording_bytes_queued'));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return peak;
}

describe('memory, whatever the screen does', () => {
  const LIMITS = { queueBytesPerRecording: 2 * MiB, queueBytesPerProxy: 3 * MiB, flushTimeoutMs: 60_000 };
  const FLOOD = 24 * MiB;

  it('holds two fast mandatory recordings within the proxy limit, the VM waiting, and loses nothing', async () => {
    const proxy = await startProxy({ recordingLimits: LIMITS });
    const vm = await startFloodVm(FLOOD);
    const port = (vm.address() as { port: number }).port;
    const consoles = await Promise.all([0, 1].map(async () => {
      const { ticket, moId } = await issue(port, { mandatory: true });
      return { console_: await openConsole(proxy, ticket), moId };
    }));
    for (const { console_ } of consoles) console_.send([0]);
    const peak = await peakQueued(proxy, Promise.all(consoles.map(({ console_ }) => console_.closed)));
    expect(peak).toBeLessThanOrEqual(LIMITS.queueBytesPerProxy);
    for (const { console_, moId } of consoles) {
      expect(console_.total()).toBe(FLOOD);
      const { manifest, keyPrefix } = await endedRecording(moId);
      expect(manifest.state).toBe('recorded');
      expect((await storage.read(keyPrefix)).bytes(FROM_VM).equals(console_.received())).toBe(true);
    }
  });

  it('holds the VM while the storage is down: the browser gets nothing that is not recorded', async () => {
    const proxy = await startProxy({ recordingLimits: LIMITS });
    const vm = await startFloodVm(FLOOD);
    const { ticket, moId } = await issue((vm.address() as { port: number }).port, { mandatory: true });
    const console_ = await openConsole(proxy, ticket);
    const keyPrefix = await keyPrefixOf(moId);
    await eventually(async () => (await storage.storage.list(keyPrefix)).length === 1, 'the header stored', WAIT);
    await storage.stop();
    console_.send([0]);
    await eventually(() => metric(proxy, 'console_proxy_recording_bytes_queued') === LIMITS.queueBytesPerRecording, 'the recording queue full', WAIT);
    expect(console_.total()).toBeLessThanOrEqual(LIMITS.queueBytesPerRecording);
    await storage.start();
    await console_.closed;
    expect(console_.total()).toBe(FLOOD);
    expect((await endedRecording(moId)).manifest.state).toBe('recorded');
    expect((await storage.read(keyPrefix)).bytes(FROM_VM).equals(console_.received())).toBe(true);
  });

  it('stops an optional recording whose queue is full (incomplete, and why); the console goes on', async () => {
    const proxy = await startProxy({ recordingLimits: LIMITS });
    const vm = await startFloodVm(FLOOD);
    const { ticket, moId } = await issue((vm.address() as { port: number }).port, { mandatory: false });
    const console_ = await openConsole(proxy, ticket);
    const keyPrefix = await keyPrefixOf(moId);
    await eventually(async () => (await storage.storage.list(keyPrefix)).length === 1, 'the header stored', WAIT);
    await storage.stop();
    console_.send([0]);
    const peak = await peakQueued(proxy, console_.closed);
    expect(peak).toBeLessThanOrEqual(LIMITS.queueBytesPerRecording);
    expect(console_.total()).toBe(FLOOD);
    await storage.start();
    const { manifest } = await endedRecording(moId);
    expect(manifest).toMatchObject({ state: 'incomplete', reason: 'the recording could not keep up: its queue reached its memory limit' });
    expect(metric(proxy, 'console_proxy_recording_bytes_queued')).toBe(0);
  });
});
