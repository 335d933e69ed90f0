/**
 * Playing console recordings back through the proxy (issue 27): the playback WebSocket (`/playback?token=`)
 * and the playback page (`/playback.html?token=`) in headless Chromium, with the real API (links, redemption,
 * manifests; test/support/http-server.ts) on the local DynamoDB and the real local S3 (s3rver).
 *
 * The recording is a real one: a console of the demo VNC server (web-01's screen) in a tenant whose policy
 * records consoles, opened in Chromium through the real proxy, with text typed into it after a still stretch;
 * the proxy records it under the key prefix the API granted (proxy/recording), and a tap between the proxy and
 * the VM checks the recording holds, byte for byte, the screen the browser got. Copies made through the API
 * (as a proxy would: a grant redeemed, frames stored, the end report) cover the other outcomes. The playback page, opened from a tenant auditor's link, must
 * show at each point of the recording what the live page showed then (pixel for pixel), seek both ways, change
 * speed, and refuse a used token; another tenant's auditor gets no link (404).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CONSOLE_PRIVILEGE, type Privilege } from '../../lib/core/privileges.js';
import type { ConsoleTarget, PlaybackGrant, RecordingGrant, RecordingManifest } from '../../lib/protocol/console-proxy.js';
import {
  CHUNK_BYTES,
  CHUNK_MILLISECONDS,
  chunkKey,
  decodeChunk,
  encodeFrame,
  FROM_BROWSER,
  FROM_VM,
  headerKey,
  RECORDING_FORMAT,
  recordingKeyPrefix,
  type RecordingHeader,
} from '../../lib/protocol/recording.js';
import { ApiUnavailable, consoleBrokerApi, type ConsoleBrokerApi } from '../../proxy/api.js';
import { PlaybackRefusal } from '../../proxy/playback/playbacks.js';
import { Refusal } from '../../proxy/refusals.js';
import { s3RecordingStorage, type RecordingStorage } from '../../proxy/recording/storage.js';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { demoScreens } from '../../scripts/demo-data.js';
import { startLocalS3, LOCAL_S3_CREDENTIALS, type LocalS3 } from '../../scripts/local-s3.js';
import { startRfbServer, type RfbServer } from '../../scripts/demo-screen/rfb.js';
import { DemoScreen } from '../../scripts/demo-screen/screen.js';
import { freePort, launchBrowser, missingBrowserTools } from '../support/browser-console.js';
import { canvasPixels } from '../support/canvas.js';
import { api as callApi, CONSOLE_PROXY, loginVcenter, OPERATOR, session } from '../support/api.js';
import { proxyConfig } from '../support/console-fixtures.js';
import { createLab, type Lab } from '../support/lab.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';
import { eventually } from '../support/wait.js';
import { sessionReport } from '../support/session-report.js';

const missing = missingBrowserTools.filter((tool) => tool.includes('chromium'));
if (missing.length) console.warn(`proxy-playback skipped: ${missing.join(', ')} not installed; run scripts/install-e2e-deps.sh`);

const WEB_01 = (({ vnc: _endpoint, ...identity }) => identity)(demoScreens().find((screen) => screen.name === 'web-01')!);
/** The screen's clock stops here, so that nothing but the typed text changes the screen. */
const CLOCK = new Date('2026-12-01T09:30:00Z');
const WAIT = { timeoutMs: 120_000, intervalMs: 100 };
const TYPED = 'echo recorded for playback';

interface CapturedFrame {
  offsetMs: number;
  direction: typeof FROM_VM | typeof FROM_BROWSER;
  payload: Buffer;
}

/**
 * A tap between the proxy and the VM's VNC server: the first connection's bytes, each way, with the
 * milliseconds since it opened — what the proxy's recorder sees of a console.
 */
async function startTap(targetPort: number) {
  const frames: CapturedFrame[] = [];
  let openedAt: number | undefined;
  let startedAt = '';
  let endedAt = '';
  const server: Server = createServer((client) => {
    const recorded = openedAt === undefined;
    if (recorded) {
      openedAt = performance.now();
      startedAt = new Date().toISOString();
    }
    const upstream = createConnection(targetPort, '127.0.0.1');
    const capture = (direction: CapturedFrame['direction']) => (chunk: Buffer) => {
      if (recorded) frames.push({ offsetMs: Math.floor(performance.now() - openedAt!), direction, payload: Buffer.from(chunk) });
    };
    upstream.on('data', capture(FROM_VM));
    client.on('data', capture(FROM_BROWSER));
    client.pipe(upstream).pipe(client);
    for (const socket of [client, upstream]) socket.on('error', () => (socket === client ? upstream : client).destroy());
    client.on('close', () => {
      upstream.destroy();
      if (recorded) endedAt = new Date().toISOString();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    frames,
    /** Milliseconds since the recorded connection opened, floored as the stored frames' times are. */
    now: () => Math.floor(performance.now() - openedAt!),
    times: () => ({ startedAt, endedAt }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Frames into stored chunks, cut as the recorder cuts them (CHUNK_BYTES or CHUNK_MILLISECONDS), or smaller. */
function chunksOf(frames: CapturedFrame[], chunkBytes = CHUNK_BYTES): Buffer[] {
  const chunks: Buffer[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  let firstMs = 0;
  for (const frame of frames) {
    if (parts.length && (size >= chunkBytes || frame.offsetMs - firstMs >= CHUNK_MILLISECONDS)) {
      chunks.push(Buffer.concat(parts));
      parts = [];
      size = 0;
    }
    if (!parts.length) firstMs = frame.offsetMs;
    const encoded = encodeFrame(frame.offsetMs, frame.direction, frame.payload);
    parts.push(encoded);
    size += encoded.length;
  }
  if (parts.length) chunks.push(Buffer.concat(parts));
  return chunks;
}

/** A recording as stored under `keyPrefix`, read back: its chunks and their frames. */
async function readRecording(storage: RecordingStorage, keyPrefix: string): Promise<{ chunks: Buffer[]; frames: CapturedFrame[] }> {
  const chunks: Buffer[] = [];
  for (const key of await storage.list(keyPrefix)) if (key.startsWith(`${keyPrefix}chunk-`)) chunks.push(Buffer.from(await storage.get(key)));
  const frames = chunks.flatMap((chunk) => decodeChunk(chunk)).map((frame) => ({ ...frame, payload: Buffer.from(frame.payload) }) as CapturedFrame);
  return { chunks, frames };
}

/**
 * The moments of a recorded console in which text was typed after a still stretch, from its screen frames: the
 * still stretch is the widest gap between two of them (the screen as first shown: live A), and from the last
 * one on, the screen is the echoed line (live B).
 */
function momentsOf(frames: CapturedFrame[]): { a: number; typing: number; b: number } {
  const times = frames.filter((frame) => frame.direction === FROM_VM).map((frame) => frame.offsetMs);
  let widest = 1;
  for (let index = 1; index < times.length; index += 1) if (times[index]! - times[index - 1]! > times[widest]! - times[widest - 1]!) widest = index;
  return { a: times[widest - 1]!, typing: times[widest]!, b: times.at(-1)! };
}

/** An FNV-1a hash of noVNC's canvas (RGB of every pixel), run in the page; `undefined` without a canvas. */
const canvasHash = () => {
  const canvas = document.querySelector<HTMLCanvasElement>('#screen canvas');
  if (!canvas || canvas.width === 0) return undefined;
  const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  let hash = 0x811c9dc5;
  for (let at = 0; at < data.length; at += 1) {
    if (at % 4 === 3) continue;
    hash = Math.imul(hash ^ data[at]!, 0x01000193) >>> 0;
  }
  return `${canvas.width}x${canvas.height}:${hash.toString(16)}`;
};

/** Pixels of the screen as the demo server holds them, as RGBA (alpha 255), to compare with a canvas. */
function screenRgba(screen: DemoScreen): Buffer {
  const out = Buffer.alloc(screen.width * screen.height * 4);
  screen.pixels.forEach((rgb, index) => out.set([rgb >> 16, (rgb >> 8) & 0xff, rgb & 0xff, 255], index * 4));
  return out;
}

/** The page's own wording of the manifest (playback.js): UTC times to the second, durations in h/min/s. */
const utc = (iso: string) => `${iso.slice(0, 19).replace('T', ' ')} UTC`;
function duration(ms: number): string {
  const total = Math.floor(ms / 1000);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  if (h) return `${h} h ${m} min ${s} s`;
  return m ? `${m} min ${s} s` : `${s} s`;
}
const STATE_TEXT: Record<RecordingManifest['state'], string> = {
  recorded: 'Recorded: every chunk of the session is stored.',
  recording: 'Not closed: the console is still open, or its proxy stopped before reporting the end; what was stored plays.',
  incomplete: 'Incomplete: the recording storage failed during the session; the recording ends where it failed.',
  'not recorded':
    'Not recorded: the recording storage was unavailable when the console opened, and the policy let it open unrecorded; there is nothing to play.',
};
const clock = (ms: number) => `${Math.floor(ms / 60_000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;

/** What one playback WebSocket got: its messages in order and how it closed. */
async function playbackSocket(proxy: ConsoleProxy, origin: string, token: string) {
  const ws = new WebSocket(`${proxy.url.replace(/^http/, 'ws')}/playback?token=${encodeURIComponent(token)}`, { origin });
  const messages: (string | Buffer)[] = [];
  ws.on('message', (data: Buffer, isBinary) => messages.push(isBinary ? data : data.toString('utf8')));
  ws.on('error', () => undefined);
  const [code, reason] = await new Promise<[number, string]>((resolve) => ws.on('close', (code, reason) => resolve([code, reason.toString()])));
  return { messages, code, reason };
}

const skip = missing.length > 0;
const AUDIT_PRIVILEGE: Privilege = 'VirtualMachine.Interact.ConsoleAudit';

describe.skipIf(skip)('console recording playback', () => {
  let s3: LocalS3;
  let storage: RecordingStorage;
  let apiServer: ApiServer;
  let vncServer: RfbServer;
  let screen: DemoScreen;
  let tap: Awaited<ReturnType<typeof startTap>>;
  let proxy: ConsoleProxy;
  let origin: string;
  let browser: BrowserContext;
  let profile: string;
  let tenantId: string;
  let manifest: RecordingManifest;
  let chunks: Buffer[];
  /** The recording as stored, read back. */
  let recorded: CapturedFrame[];
  /** Live canvas hashes and pixels: A after the console first showed its screen, B once the typed line was echoed. */
  const live: { a: string; b: string; aPixels: Buffer; bPixels: Buffer } = { a: '', b: '', aPixels: Buffer.alloc(0), bPixels: Buffer.alloc(0) };
  /** Recording times (ms): the screen is live A from `a` until `typing`, live B from `b` on. */
  const at = { a: 0, typing: 0, b: 0 };
  const savedBaseUrl = process.env.CONSOLE_PROXY_BASE_URL;

  // The proxy's API, as is, but for what a test must hold or fake: a redemption held at a gate (to fill the
  // playback budget, or to be cut by a shutdown, or failed as by an API outage), and forged grants (the proxy's
  // own check of a grant's key prefix, which the real API never gets wrong).
  const gates = new Map<string, Promise<void>>();
  const asked = new Set<string>();
  const forged = new Map<string, PlaybackGrant>();
  /** Every recording grant the API handed the proxy with a console (the proxy then records under its prefix). */
  const recordingGrants: RecordingGrant[] = [];
  let api: ConsoleBrokerApi;
  let lab: Lab;
  let otherLab: Lab;
  const sessions: Record<string, string> = {};
  const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;
  /** A one-time playback link of `recordingId`, as the operator gets it: its token. */
  async function operatorToken(recordingId = manifest.recordingId, tenant = lab.tenant): Promise<string> {
    const link = await callApi('POST', `/operator/v1/tenants/${tenant}/recordings/${recordingId}/playbacks`, { headers: OPERATOR });
    expect(link.status).toBe(201);
    return tokenOf(link.body.url);
  }
  /** A tenant auditor's playback link (vCenter REST, `VirtualMachine.Interact.ConsoleAudit`). */
  const auditorLink = (user: string, recordingId: string) =>
    callApi('POST', `/api/vcenter/vm/vm-701/console/recordings/${recordingId}?action=playback`, { headers: session(sessions[user]!) });
  const extraProxies: ConsoleProxy[] = [];

  /** A WEBMKS ticket for vm-701, issued to `user` through vCenter REST. */
  async function issueTicket(user: string): Promise<string> {
    const issued = await callApi('POST', '/api/vcenter/vm/vm-701/console/tickets', { headers: session(sessions[user]!), body: { type: 'WEBMKS' } });
    expect(issued.status).toBe(201);
    return /\/ticket\/([^/]+)$/.exec(issued.body.ticket)![1]!;
  }

  /** Stores `frames` under the grant's prefix as the recorder lays a recording out: header.json, then the chunks. */
  async function storeRecording(grant: RecordingGrant, frames: CapturedFrame[], startedAt: string, chunkBytes?: number): Promise<Buffer[]> {
    const header: RecordingHeader = {
      format: RECORDING_FORMAT,
      recordingId: grant.recordingId,
      tenantId: lab.tenant,
      vmMoId: 'vm-701',
      userName: `alice@${lab.tenant}`,
      sessionId: randomUUID(),
      startedAt,
      input: grant.input,
    };
    await storage.put(headerKey(grant.keyPrefix), Buffer.from(JSON.stringify(header)), grant.retentionDays, 'application/json');
    const stored = chunksOf(frames, chunkBytes);
    for (const [sequence, chunk] of stored.entries()) await storage.put(chunkKey(grant.keyPrefix, sequence), chunk, grant.retentionDays);
    return stored;
  }

  beforeAll(async () => {
    s3 = await startLocalS3();
    const recording = { bucket: s3.bucket, endpoint: s3.endpoint, credentials: LOCAL_S3_CREDENTIALS };
    storage = s3RecordingStorage(recording);
    apiServer = await startApiServer();
    const real = consoleBrokerApi({ baseUrl: apiServer.url, apiKey: 'demo-console-proxy-key', timeoutMs: 60_000 });
    api = {
      ...real,
      async redeemTicket(ticket, from) {
        const target = await real.redeemTicket(ticket, from);
        if (target?.recording) recordingGrants.push(target.recording);
        return target;
      },
      async redeemPlayback(token, from) {
        asked.add(token);
        await gates.get(token);
        return forged.get(token) ?? real.redeemPlayback(token, from);
      },
    };
    screen = new DemoScreen(WEB_01, { now: () => CLOCK });
    vncServer = await startRfbServer(screen, { port: 0 });
    tap = await startTap(vncServer.port);
    // A tenant whose consoles are recorded, input too; a user who opens consoles, an auditor; another tenant
    // with an auditor of its own and a VM of the same name.
    lab = await createLab('playback', 'Playback');
    tenantId = lab.tenant;
    await lab.put('', { displayName: 'Playback', recordingPolicy: { record: true, recordInput: true, retentionDays: 30 } });
    await lab.putUser('alice', [CONSOLE_PRIVILEGE]);
    await lab.putUser('audrey', [AUDIT_PRIVILEGE]);
    await lab.putVm('vm-701', { vnc: { host: '127.0.0.1', port: tap.port } });
    otherLab = await createLab('playback-other', 'Other');
    await otherLab.putUser('oscar', [AUDIT_PRIVILEGE]);
    await otherLab.putVm('vm-701');
    for (const [user, tenant] of [['alice', lab.tenant], ['audrey', lab.tenant], ['oscar', otherLab.tenant]] as const) {
      sessions[user] = await loginVcenter(`${user}@${tenant}`, 'lab-user-pass');
    }
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    process.env.CONSOLE_PROXY_BASE_URL = origin;
    proxy = await startConsoleProxy(proxyConfig(apiServer.url, { port, allowedOrigins: [origin], recording, instanceId: 'playback-test-proxy' }), api);
    profile = mkdtempSync(join(tmpdir(), 'proxy-playback-chromium-'));
    browser = await launchBrowser(profile);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    for (const extra of extraProxies) await extra.close();
    await proxy?.close();
    await tap?.close();
    await vncServer?.close();
    await apiServer?.close();
    await s3?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (savedBaseUrl === undefined) delete process.env.CONSOLE_PROXY_BASE_URL;
    else process.env.CONSOLE_PROXY_BASE_URL = savedBaseUrl;
  });

  it('records a live console of web-01 in which text is typed, through the proxy, into the local S3', async () => {
    const ticket = await issueTicket('alice');
    const page = await browser.newPage();
    await page.goto(`${origin}/vnc_auto.html?path=${encodeURIComponent(`ticket/${ticket}`)}`);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 120_000 });
    // The canvas against the screen as the VNC server holds it now (compared afresh at each probe).
    const showsScreen = async () => (await canvasPixels(page))?.equals(screenRgba(screen));
    await eventually(showsScreen, 'the live canvas shows the screen', WAIT);
    const before = screenRgba(screen);
    live.a = (await page.evaluate(canvasHash))!;
    live.aPixels = (await canvasPixels(page))!;
    const shownAt = tap.now();
    // A still stretch before the typing, and after it: the recording has time in which only the text changes.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const typingAt = tap.now();
    await page.keyboard.type(TYPED);
    await page.keyboard.press('Enter');
    await eventually(() => screen.entered.includes(TYPED), 'the typed line at the VNC server', WAIT);
    // The screen redraws on the next turn of the event loop (DemoScreen.changed): compare with that, not before.
    await new Promise((resolve) => setImmediate(resolve));
    await eventually(showsScreen, 'the live canvas shows the echoed line', WAIT);
    expect(screenRgba(screen).equals(before)).toBe(false);
    live.b = (await page.evaluate(canvasHash))!;
    live.bPixels = (await canvasPixels(page))!;
    const echoedAt = tap.now();
    expect(live.b).not.toBe(live.a);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await page.close();
    await eventually(() => tap.times().endedAt || undefined, 'the console closed', WAIT);
    // Nothing reached the screen between A and the typing, nor after B.
    const screenFrames = (from: number, to: number) => tap.frames.filter((frame) => frame.direction === FROM_VM && frame.offsetMs > from && frame.offsetMs < to);
    expect(screenFrames(shownAt, typingAt)).toEqual([]);
    expect(screenFrames(echoedAt, Infinity)).toEqual([]);

    // The API granted the console a recording (its prefix names the tenant, the VM and the recording id); the
    // proxy recorded it there (proxy/recording), and its end report completed the manifest.
    expect(recordingGrants).toHaveLength(1);
    const grant = recordingGrants[0]!;
    expect(grant).toMatchObject({ input: true, mandatory: false, retentionDays: 30 });
    expect(grant.keyPrefix).toBe(recordingKeyPrefix(lab.tenant, 'vm-701', grant.recordingId));
    manifest = await eventually(async () => {
      const listed = await callApi('GET', `/operator/v1/tenants/${lab.tenant}/recordings?vm=vm-701`, { headers: OPERATOR });
      expect(listed.status).toBe(200);
      const [only, ...more] = listed.body.recordings as RecordingManifest[];
      expect(more).toEqual([]);
      return only?.state === 'recorded' ? only : undefined;
    }, 'the manifest completed by the end report', WAIT);
    expect(manifest).toMatchObject({ recordingId: grant.recordingId, tenantId: lab.tenant, vmMoId: 'vm-701', userName: `alice@${lab.tenant}`, input: true, clientAddress: '127.0.0.1' });
    const header = JSON.parse(Buffer.from(await storage.get(headerKey(grant.keyPrefix))).toString('utf8'));
    expect(header).toMatchObject({ format: RECORDING_FORMAT, recordingId: grant.recordingId, tenantId: lab.tenant, vmMoId: 'vm-701', input: true });
    ({ chunks, frames: recorded } = await readRecording(storage, grant.keyPrefix));
    expect([chunks.length, chunks.reduce((sum, chunk) => sum + chunk.length, 0)]).toEqual([manifest.chunks, manifest.bytes]);
    // The screen as the recorder saw it is, byte for byte, what reached the browser through the tap.
    const screenBytes = (frames: CapturedFrame[]) => Buffer.concat(frames.filter((frame) => frame.direction === FROM_VM).map((frame) => frame.payload));
    expect(screenBytes(recorded).equals(screenBytes(tap.frames))).toBe(true);
    Object.assign(at, momentsOf(recorded));
    expect(at.typing - at.a).toBeGreaterThanOrEqual(2500);
  });

  type Outcome = { state: 'recorded' | 'incomplete' | 'not recorded'; reason?: string };

  /**
   * Another recording of vm-701, made through the API as the proxy makes one (a ticket redeemed, the frames
   * stored under the grant unless it was not recorded, the end report with `outcome`): its grant and a token.
   */
  async function copyOf(frames: CapturedFrame[], outcome: Outcome, chunkBytes?: number): Promise<{ grant: RecordingGrant; token: string; stored: Buffer[] }> {
    const redeemed = await callApi('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket: await issueTicket('alice') } });
    expect(redeemed.status).toBe(200);
    const target: ConsoleTarget = redeemed.body;
    const grant = target.recording!;
    const startedAt = new Date().toISOString();
    const stored = outcome.state === 'not recorded' ? [] : await storeRecording(grant, frames, startedAt, chunkBytes);
    const bytes = stored.reduce((sum, chunk) => sum + chunk.length, 0);
    const report = await callApi('POST', '/console-proxy/v1/audit-records', {
      headers: CONSOLE_PROXY,
      body: sessionReport(target, {
        startedAt,
        endedAt: new Date(Date.parse(startedAt) + (frames.at(-1)?.offsetMs ?? 0)).toISOString(),
        bytesToVm: 0,
        bytesFromVm: bytes,
        recording: { recordingId: grant.recordingId, ...outcome, chunks: stored.length, bytes },
      }),
    });
    expect(report.status).toBe(204);
    return { grant, token: await operatorToken(grant.recordingId), stored };
  }

  describe('the playback WebSocket', () => {
    it('sends the manifest, then every chunk as stored and in order, then the end, and closes 1000', async () => {
      const { messages, code, reason } = await playbackSocket(proxy, origin, await operatorToken());
      expect([code, reason]).toEqual([1000, '']);
      expect(JSON.parse(messages[0] as string)).toEqual({ type: 'recording', manifest, viewer: 'operator' });
      // Compared as bytes (a deep equality of megabytes is slow): the stored objects, whole, in order.
      const sent = messages.slice(1, -1);
      expect(sent.map((message) => Buffer.isBuffer(message) && message.length)).toEqual(chunks.map((chunk) => chunk.length));
      expect(sent.every((message, index) => (message as Buffer).equals(chunks[index]!))).toBe(true);
      const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      expect(JSON.parse(messages.at(-1) as string)).toEqual({ type: 'end', chunks: chunks.length, bytes });
    });

    it('stops at a missing chunk: what follows a gap cannot be decoded', async () => {
      const { grant, token, stored } = await copyOf(recorded, { state: 'recorded' }, 256 * 1024);
      expect(stored.length).toBeGreaterThanOrEqual(3);
      // The middle chunk lost (e.g. deleted by hand): only the first goes out, and the end says how many.
      const s3Client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS });
      await s3Client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: chunkKey(grant.keyPrefix, 1) }));
      s3Client.destroy();
      const { messages, code } = await playbackSocket(proxy, origin, token);
      expect(code).toBe(1000);
      expect(messages.slice(1, -1)).toHaveLength(1);
      expect(JSON.parse(messages.at(-1) as string)).toEqual({ type: 'end', chunks: 1, bytes: stored[0]!.length });
    });

    it('refuses a used token (1008), says when the API cannot be asked (1011), and refuses another origin (403, before the upgrade)', async () => {
      const token = await operatorToken();
      expect((await playbackSocket(proxy, origin, token)).code).toBe(1000);
      const again = await playbackSocket(proxy, origin, token);
      expect([again.code, again.reason, again.messages]).toEqual([1008, PlaybackRefusal.token, []]);
      const unanswered = await operatorToken();
      gates.set(unanswered, Promise.reject(new ApiUnavailable('playback redemption answered 503')));
      gates.get(unanswered)!.catch(() => undefined);
      const apiDown = await playbackSocket(proxy, origin, unanswered);
      expect([apiDown.code, apiDown.reason, apiDown.messages]).toEqual([1011, PlaybackRefusal.api, []]);
      const empty = await playbackSocket(proxy, origin, '');
      expect([empty.code, empty.reason]).toEqual([1008, PlaybackRefusal.noToken]);
      const foreign = new WebSocket(`${proxy.url.replace(/^http/, 'ws')}/playback?token=${await operatorToken()}`, { origin: 'http://evil.test' });
      const status = await new Promise<number | undefined>((resolve) => {
        foreign.on('unexpected-response', (_request, response) => resolve(response.statusCode));
        foreign.on('open', () => resolve(undefined));
        foreign.on('error', () => undefined);
      });
      expect(status).toBe(403);
    });

    it("never plays another tenant's recording: no link for another tenant's auditor or tenant (404), and the proxy reads only the grant's own prefix", async () => {
      const notFound = {
        error_type: 'NOT_FOUND',
        messages: [{ args: [], default_message: `Recording ${manifest.recordingId} was not found.`, id: 'com.vmware.vapi.std.errors.not_found' }],
      };
      // oscar audits another tenant, which has a vm-701 of its own.
      const oscars = await auditorLink('oscar', manifest.recordingId);
      expect([oscars.status, oscars.body]).toEqual([404, notFound]);
      const operators = await callApi('POST', `/operator/v1/tenants/${otherLab.tenant}/recordings/${manifest.recordingId}/playbacks`, { headers: OPERATOR });
      expect([operators.status, operators.body]).toEqual([404, notFound]);
      // Should a grant ever name a prefix that is not its manifest's own, the proxy reads nothing of it.
      const token = `${otherLab.tenant}.forged-grant-000.${randomBytes(32).toString('base64url')}`;
      forged.set(token, { manifest: { ...manifest, tenantId: otherLab.tenant }, keyPrefix: recordingKeyPrefix(lab.tenant, 'vm-701', manifest.recordingId), viewer: 'operator' });
      const { messages, code, reason } = await playbackSocket(proxy, origin, token);
      expect([code, reason, messages]).toEqual([1011, PlaybackRefusal.internal, []]);
    });

    it('says the storage is unavailable (1011) when none is configured, keeping the token, or when it is down', async () => {
      const noStoragePort = await freePort();
      const noStorageOrigin = `http://127.0.0.1:${noStoragePort}`;
      const noStorage = await startConsoleProxy(proxyConfig(apiServer.url, { port: noStoragePort, allowedOrigins: [noStorageOrigin] }), api);
      extraProxies.push(noStorage);
      const token = await operatorToken();
      const refused = await playbackSocket(noStorage, noStorageOrigin, token);
      expect([refused.code, refused.reason, refused.messages]).toEqual([1011, PlaybackRefusal.storage, []]);
      expect(asked.has(token)).toBe(false);

      const downPort = await freePort();
      const downOrigin = `http://127.0.0.1:${downPort}`;
      const down = await startConsoleProxy(
        proxyConfig(apiServer.url, {
          port: downPort,
          allowedOrigins: [downOrigin],
          maxPlaybacks: 1,
          recording: { bucket: s3.bucket, endpoint: `http://127.0.0.1:${await freePort()}`, credentials: LOCAL_S3_CREDENTIALS },
        }),
        api,
      );
      extraProxies.push(down);
      // One playback waiting on the API holds the only place: a second is refused as over capacity (1013).
      let open!: () => void;
      const held = await operatorToken();
      gates.set(held, new Promise<void>((resolve) => (open = resolve)));
      const first = playbackSocket(down, downOrigin, held);
      await eventually(() => asked.has(held), 'the first playback waiting on the API', WAIT);
      const second = await playbackSocket(down, downOrigin, token);
      expect([second.code, second.reason]).toEqual([1013, PlaybackRefusal.capacity]);
      expect(asked.has(token)).toBe(false);
      open();
      const failed = await first;
      expect(failed.code).toBe(1011);
      expect(failed.reason).toBe(PlaybackRefusal.storage);
      // Before the storage failed, the manifest had gone out.
      expect(JSON.parse(failed.messages[0] as string).type).toBe('recording');

      // A proxy shutting down tells its playbacks to go away, as its consoles (1001).
      const last = await operatorToken();
      gates.set(last, new Promise<void>((resolve) => (open = resolve)));
      const stopped = playbackSocket(down, downOrigin, last);
      await eventually(() => asked.has(last), 'the last playback waiting on the API', WAIT);
      await down.close(10_000);
      open();
      expect(await stopped).toEqual({ messages: [], code: 1001, reason: Refusal.shutdown });
      // The token refused for want of storage, then of capacity, was never redeemed: it still plays.
      expect((await playbackSocket(proxy, origin, token)).code).toBe(1000);
    });
  });

  describe('the playback page', () => {
    let page: Page;
    /** Every position the screen reached while playing, with the canvas then (noted by a MutationObserver). */
    const seen = () =>
      page.evaluate(() => (window as unknown as { seen: { position: number; at: number; speed: number; hash: string }[] }).seen.splice(0));

    it('is served with the console page’s headers, takes the token out of the address bar and shows who, when and where', async () => {
      const response = await fetch(`${proxy.url}/playback.html?token=x`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      for (const file of ['/playback.js', '/playback-player.js', '/playback.css']) expect((await fetch(`${proxy.url}${file}`)).status).toBe(200);

      page = await browser.newPage();
      await page.setViewportSize({ width: 1100, height: 1000 });
      const link = await auditorLink('audrey', manifest.recordingId);
      expect(link.status).toBe(200);
      expect(link.body.url).toMatch(new RegExp(`^${origin}/playback\\.html\\?token=`));
      await page.goto(link.body.url);
      await page.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
      expect(await page.evaluate(() => location.href)).toBe(`${origin}/playback.html`);
      const text = (name: string) => page.textContent(`[data-field="${name}"]`);
      expect(await text('user')).toBe(`alice@${tenantId}`);
      expect(await text('vm')).toBe(`vm-701 (instance ${manifest.instanceUuid})`);
      expect(await text('tenant')).toBe(tenantId);
      expect(await text('started')).toBe(utc(manifest.startedAt));
      const lasted = manifest.endedAt ? Date.parse(manifest.endedAt) - Date.parse(manifest.startedAt) : 0;
      expect(await text('ended')).toBe(manifest.endedAt ? utc(manifest.endedAt) : 'not ended');
      expect(await text('duration')).toBe(manifest.endedAt ? duration(lasted) : 'unknown (not ended)');
      expect(await text('client')).toBe('127.0.0.1');
      expect(await text('proxy')).toBe('playback-test-proxy');
      expect(await text('console-type')).toBe('WEBMKS');
      expect(await text('state')).toBe(STATE_TEXT[manifest.state]);
      const inputs = recorded.filter((frame) => frame.direction === FROM_BROWSER).length;
      expect(await text('input')).toBe(`${inputs} input messages recorded (keystrokes, pointer); shown here, never replayed`);
      expect(await text('recording-id')).toBe(manifest.recordingId);
      expect(await text('viewer')).toBe(`audrey@${tenantId}`);
      const durationMs = Math.max(recorded.at(-1)!.offsetMs, lasted);
      expect(await page.getAttribute('body', 'data-duration-ms')).toBe(String(durationMs));
      expect(await page.textContent('#time')).toBe(`0:00 / ${clock(durationMs)}`);
    });

    it('plays: at every position the screen reaches, the canvas is what the live page showed at that time', async () => {
      // Noted in the same task as the position changes, before anything else can deliver more of the stream.
      // (A string: evaluated by the debugger protocol, which the page's CSP does not govern.)
      await page.evaluate(`(() => {
        const hash = ${canvasHash.toString()};
        const seen = (window.seen = []);
        new MutationObserver(() => {
          const { positionMs, positionAt, speed, state } = document.body.dataset;
          if (state === 'playing' || state === 'ended') seen.push({ position: Number(positionMs), at: Number(positionAt), speed: Number(speed), hash: hash() });
        }).observe(document.body, { attributes: true, attributeFilter: ['data-position-ms'] });
      })()`);
      await page.selectOption('#speed', '2');
      await page.click('#play');
      await page.waitForSelector('body[data-state="ended"]', { timeout: 180_000 });
      const samples = await seen();
      const beforeTyping = samples.filter((sample) => sample.position >= at.a && sample.position < at.typing);
      const afterEcho = samples.filter((sample) => sample.position >= at.b);
      expect(beforeTyping.length).toBeGreaterThan(0);
      expect(afterEcho.length).toBeGreaterThan(0);
      expect(new Set(beforeTyping.map((sample) => sample.hash))).toEqual(new Set([live.a]));
      expect(new Set(afterEcho.map((sample) => sample.hash))).toEqual(new Set([live.b]));
      // The screen's pace is the page's clock times the speed (2×): nothing is shown before its time.
      const end = Number(await durationOf(page));
      const playing = samples.filter((sample) => sample.position < end);
      const [first, last] = [playing[0]!, playing.at(-1)!];
      expect((last.position - first.position) / (last.at - first.at)).toBeCloseTo(2, 1);
      const rgba = (await canvasPixels(page))!;
      expect(rgba.equals(live.bPixels)).toBe(true);
    });

    it('seeks back (a new decoder, fast-forwarded) and to the end, and plays faster at 8×', async () => {
      const target = Math.floor((at.a + at.typing) / 2);
      await page.locator('#seek').fill(String(target));
      await eventually(async () => (await page.getAttribute('body', 'data-position-ms')) === String(target), 'the seek back', WAIT);
      expect(await page.getAttribute('body', 'data-state')).toBe('paused');
      expect((await canvasPixels(page))!.equals(live.aPixels)).toBe(true);
      expect(await page.textContent('#time')).toBe(`${clock(target)} / ${clock(Number(await durationOf(page)))}`);

      const end = Number(await durationOf(page));
      await page.locator('#seek').fill(String(end));
      await page.waitForSelector('body[data-state="ended"]', { timeout: 120_000 });
      expect((await canvasPixels(page))!.equals(live.bPixels)).toBe(true);

      await page.locator('#seek').fill('0');
      await eventually(async () => (await page.getAttribute('body', 'data-position-ms')) === '0', 'the seek to the start', WAIT);
      await seen();
      await page.selectOption('#speed', '8');
      await page.click('#play');
      await page.waitForSelector('body[data-state="ended"]', { timeout: 180_000 });
      const samples = (await seen()).filter((sample) => sample.position < end);
      expect(samples.every((sample) => sample.speed === 8)).toBe(true);
      const [first, last] = [samples[0]!, samples.at(-1)!];
      expect((last.position - first.position) / (last.at - first.at)).toBeCloseTo(8, 1);
      expect(new Set(samples.filter((sample) => sample.position >= at.a && sample.position < at.typing).map((sample) => sample.hash))).toEqual(
        new Set([live.a]),
      );
      expect((await canvasPixels(page))!.equals(live.bPixels)).toBe(true);
    });

    it('pauses where it is', async () => {
      await page.locator('#seek').fill('0');
      await page.selectOption('#speed', '1');
      await page.click('#play');
      await eventually(async () => Number(await page.getAttribute('body', 'data-position-ms')) > 0, 'playing', WAIT);
      await page.click('#play');
      await page.waitForSelector('body[data-state="paused"]');
      const paused = await page.getAttribute('body', 'data-position-ms');
      expect(await page.textContent('#play')).toBe('Play');
      await page.waitForTimeout(500);
      expect(await page.getAttribute('body', 'data-position-ms')).toBe(paused);
    });

    /** A copy of the recording (see `copyOf`) opened in a playback page of its own. */
    async function openCopy(frames: CapturedFrame[], outcome: Outcome): Promise<Page> {
      const { token } = await copyOf(frames, outcome);
      const opened = await browser.newPage();
      await opened.goto(`${origin}/playback.html?token=${encodeURIComponent(token)}`);
      return opened;
    }

    it('answers a recorded VNC-authentication handshake with an empty password, and the recorded stream goes on', async () => {
      // The same console as if its server had asked for VNC authentication: security type 2, then a challenge.
      const offer = recorded.filter((frame) => frame.direction === FROM_VM)[1]!;
      expect([...offer.payload]).toEqual([1, 1]);
      const frames = recorded.flatMap((frame) =>
        frame === offer ? [{ ...frame, payload: Buffer.from([1, 2]) }, { ...frame, payload: randomBytes(16) }] : [frame],
      );
      const replay = await openCopy(frames, { state: 'recorded' });
      await replay.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
      await replay.locator('#seek').fill(await durationOf(replay) as string);
      await replay.waitForSelector('body[data-state="ended"]', { timeout: 120_000 });
      expect((await canvasPixels(replay))!.equals(live.bPixels)).toBe(true);
      await replay.close();
    });

    it('explains a recording that is incomplete, and one that was not recorded at all', async () => {
      const reason = 'the recording storage failed: connect ECONNREFUSED';
      const cut = recorded.filter((frame) => frame.offsetMs < at.typing);
      const incomplete = await openCopy(cut, { state: 'incomplete', reason });
      await incomplete.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
      expect(await incomplete.textContent('[data-field="state"]')).toBe(
        `Incomplete: the recording storage failed during the session; the recording ends where it failed. (${reason})`,
      );
      await incomplete.locator('#seek').fill(await durationOf(incomplete) as string);
      await incomplete.waitForSelector('body[data-state="ended"]', { timeout: 120_000 });
      expect((await canvasPixels(incomplete))!.equals(live.aPixels)).toBe(true);
      await incomplete.close();

      const notRecorded = await openCopy([], { state: 'not recorded', reason: 'no recording storage' });
      await notRecorded.waitForSelector('body[data-state="empty"]', { timeout: 120_000 });
      expect(await notRecorded.textContent('#status')).toBe('There is no screen to play in this recording.');
      expect(await notRecorded.textContent('[data-field="state"]')).toBe(
        'Not recorded: the recording storage was unavailable when the console opened, and the policy let it open unrecorded; there is nothing to play. (no recording storage)',
      );
      expect(await notRecorded.isDisabled('#play')).toBe(true);
      await notRecorded.close();
    });

    it('refuses a used playback link, saying why', async () => {
      const token = await operatorToken();
      expect((await playbackSocket(proxy, origin, token)).code).toBe(1000);
      const refused = await browser.newPage();
      await refused.goto(`${origin}/playback.html?token=${encodeURIComponent(token)}`);
      await refused.waitForSelector('body[data-state="refused"]', { timeout: 120_000 });
      expect(await refused.textContent('#status')).toBe(PlaybackRefusal.token);
      expect(await refused.getAttribute('body', 'data-close-code')).toBe('1008');
      await refused.close();
    });
  });
});

const durationOf = (page: Page) => page.getAttribute('body', 'data-duration-ms');
