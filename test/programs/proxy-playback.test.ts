/**
 * Playing console recordings back through the proxy (issue 27): the playback WebSocket (`/playback?token=`)
 * and the playback page (`/playback.html?token=`) in headless Chromium, against the real local S3 (s3rver).
 *
 * The recording is a real one: a console of the demo VNC server (web-01's screen) opened in Chromium through
 * the real proxy and API, with text typed into it at a known time, whose bytes are captured between the proxy
 * and the VM and stored in the recording layout (lib/protocol/recording.ts). The playback page must show, at
 * each point of the recording, what the live page showed then (pixel for pixel), seek both ways, change speed,
 * and refuse a used token. The playback tokens come from a stand-in for the API's `POST /console-proxy/v1/playbacks`
 * until the API's own is merged.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { PlaybackGrant, RecordingManifest } from '../../lib/protocol/console-proxy.js';
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
import { createTenant, createVm, issueConsoleTicket, proxyConfig } from '../support/console-fixtures.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';
import { recordSecret } from '../support/log-capture.js';
import { eventually } from '../support/wait.js';

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

/** Frames into stored chunks, cut as the recorder cuts them (CHUNK_BYTES or CHUNK_MILLISECONDS). */
function chunksOf(frames: CapturedFrame[]): Buffer[] {
  const chunks: Buffer[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  let firstMs = 0;
  for (const frame of frames) {
    if (parts.length && (size >= CHUNK_BYTES || frame.offsetMs - firstMs >= CHUNK_MILLISECONDS)) {
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

/** noVNC's canvas as RGBA bytes. */
const canvasPixels = async (page: Page): Promise<Buffer | undefined> => {
  const base64 = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#screen canvas');
    if (!canvas || canvas.width === 0) return undefined;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let binary = '';
    for (let at = 0; at < data.length; at += 0x8000) binary += String.fromCharCode(...data.subarray(at, at + 0x8000));
    return btoa(binary);
  });
  return base64 === undefined ? undefined : Buffer.from(base64, 'base64');
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

  // The API's playback redemption, standing in until the API's own is merged: one-time tokens for grants.
  const grants = new Map<string, PlaybackGrant>();
  const gates = new Map<string, Promise<void>>();
  const asked = new Set<string>();
  let api: ConsoleBrokerApi;
  const playbackToken = (grant: PlaybackGrant): string => {
    const token = `${grant.manifest.tenantId}.${randomBytes(12).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    recordSecret(token);
    grants.set(token, grant);
    return token;
  };
  const grantOf = (): PlaybackGrant => ({
    manifest,
    keyPrefix: recordingKeyPrefix(manifest.tenantId, manifest.vmMoId, manifest.recordingId),
    viewer: `auditor@${tenantId}`,
  });
  const extraProxies: ConsoleProxy[] = [];

  beforeAll(async () => {
    s3 = await startLocalS3();
    const recording = { bucket: s3.bucket, endpoint: s3.endpoint, credentials: LOCAL_S3_CREDENTIALS };
    storage = s3RecordingStorage(recording);
    apiServer = await startApiServer();
    const real = consoleBrokerApi({ baseUrl: apiServer.url, apiKey: 'demo-console-proxy-key', timeoutMs: 60_000 });
    api = {
      ...real,
      async redeemPlayback(token) {
        asked.add(token);
        await gates.get(token);
        const grant = grants.get(token);
        grants.delete(token);
        return grant;
      },
    };
    screen = new DemoScreen(WEB_01, { now: () => CLOCK });
    vncServer = await startRfbServer(screen, { port: 0 });
    tap = await startTap(vncServer.port);
    tenantId = await createTenant('playback');
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    process.env.CONSOLE_PROXY_BASE_URL = origin;
    proxy = await startConsoleProxy(proxyConfig(apiServer.url, { port, allowedOrigins: [origin], recording }), api);
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

  it('records a live console of web-01 in which text is typed, and stores it in the recording layout', async () => {
    const vm = await createVm(tenantId, 'vm-701', tap.port);
    const ticket = await issueConsoleTicket(vm, 'WEBMKS');
    const page = await browser.newPage();
    await page.goto(`${origin}/vnc_auto.html?path=${encodeURIComponent(`?token=${ticket}`)}`);
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

    const recordingId = randomUUID();
    const { startedAt, endedAt } = tap.times();
    const keyPrefix = recordingKeyPrefix(tenantId, vm.moId, recordingId);
    const stored = chunksOf(tap.frames);
    const header: RecordingHeader = {
      format: RECORDING_FORMAT,
      recordingId,
      tenantId,
      vmMoId: vm.moId,
      userName: `admin@${tenantId}`,
      sessionId: randomUUID(),
      startedAt,
      input: true,
    };
    await storage.put(headerKey(keyPrefix), Buffer.from(JSON.stringify(header)), 30, 'application/json');
    for (const [sequence, chunk] of stored.entries()) await storage.put(chunkKey(keyPrefix, sequence), chunk, 30);
    ({ chunks, frames: recorded } = await readRecording(storage, keyPrefix));
    Object.assign(at, momentsOf(recorded));
    expect(at.typing - at.a).toBeGreaterThanOrEqual(2500);
    manifest = {
      recordingId,
      tenantId,
      vmMoId: vm.moId,
      instanceUuid: vm.instanceUuid,
      userName: header.userName,
      sessionId: header.sessionId,
      consoleType: 'WEBMKS',
      clientAddress: '127.0.0.1',
      proxyInstance: 'playback-test-proxy',
      input: true,
      state: 'recorded',
      startedAt,
      endedAt,
      chunks: chunks.length,
      bytes: chunks.reduce((sum, chunk) => sum + chunk.length, 0),
      expiresAt: new Date(Date.parse(startedAt) + 30 * 86_400_000).toISOString(),
    };
    expect(chunks.length).toBeGreaterThan(1);
  });

  describe('the playback WebSocket', () => {
    it('sends the manifest, then every chunk as stored and in order, then the end, and closes 1000', async () => {
      const { messages, code, reason } = await playbackSocket(proxy, origin, playbackToken(grantOf()));
      expect([code, reason]).toEqual([1000, '']);
      expect(JSON.parse(messages[0] as string)).toEqual({ type: 'recording', manifest, viewer: `auditor@${tenantId}` });
      // Compared as bytes (a deep equality of megabytes is slow): the stored objects, whole, in order.
      const sent = messages.slice(1, -1);
      expect(sent.map((message) => Buffer.isBuffer(message) && message.length)).toEqual(chunks.map((chunk) => chunk.length));
      expect(sent.every((message, index) => (message as Buffer).equals(chunks[index]!))).toBe(true);
      expect(JSON.parse(messages.at(-1) as string)).toEqual({ type: 'end', chunks: chunks.length, bytes: manifest.bytes });
    });

    it('refuses a used token (1008), says when the API cannot be asked (1011), and refuses another origin (403, before the upgrade)', async () => {
      const token = playbackToken(grantOf());
      expect((await playbackSocket(proxy, origin, token)).code).toBe(1000);
      const again = await playbackSocket(proxy, origin, token);
      expect([again.code, again.reason, again.messages]).toEqual([1008, PlaybackRefusal.token, []]);
      const unanswered = playbackToken(grantOf());
      gates.set(unanswered, Promise.reject(new ApiUnavailable('playback redemption answered 503')));
      gates.get(unanswered)!.catch(() => undefined);
      const apiDown = await playbackSocket(proxy, origin, unanswered);
      expect([apiDown.code, apiDown.reason, apiDown.messages]).toEqual([1011, PlaybackRefusal.api, []]);
      const empty = await playbackSocket(proxy, origin, '');
      expect([empty.code, empty.reason]).toEqual([1008, PlaybackRefusal.noToken]);
      const foreign = new WebSocket(`${proxy.url.replace(/^http/, 'ws')}/playback?token=${playbackToken(grantOf())}`, { origin: 'http://evil.test' });
      const status = await new Promise<number | undefined>((resolve) => {
        foreign.on('unexpected-response', (_request, response) => resolve(response.statusCode));
        foreign.on('open', () => resolve(undefined));
        foreign.on('error', () => undefined);
      });
      expect(status).toBe(403);
    });

    it('reads nothing but the prefix of the manifest it was granted', async () => {
      // A grant whose key prefix is not its manifest's own (another tenant's recording) is refused unread.
      const other = await createTenant('playback-other');
      const grant = { ...grantOf(), manifest: { ...manifest, tenantId: other } };
      const { messages, code, reason } = await playbackSocket(proxy, origin, playbackToken(grant));
      expect([code, reason, messages]).toEqual([1011, PlaybackRefusal.internal, []]);
    });

    it('says the storage is unavailable (1011) when none is configured, keeping the token, or when it is down', async () => {
      const noStoragePort = await freePort();
      const noStorageOrigin = `http://127.0.0.1:${noStoragePort}`;
      const noStorage = await startConsoleProxy(proxyConfig(apiServer.url, { port: noStoragePort, allowedOrigins: [noStorageOrigin] }), api);
      extraProxies.push(noStorage);
      const token = playbackToken(grantOf());
      const refused = await playbackSocket(noStorage, noStorageOrigin, token);
      expect([refused.code, refused.reason, refused.messages]).toEqual([1011, PlaybackRefusal.storage, []]);
      expect(grants.has(token)).toBe(true);

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
      const held = playbackToken(grantOf());
      gates.set(held, new Promise<void>((resolve) => (open = resolve)));
      const first = playbackSocket(down, downOrigin, held);
      await eventually(() => asked.has(held), 'the first playback waiting on the API', WAIT);
      const second = await playbackSocket(down, downOrigin, token);
      expect([second.code, second.reason]).toEqual([1013, PlaybackRefusal.capacity]);
      expect(grants.has(token)).toBe(true);
      open();
      const failed = await first;
      expect(failed.code).toBe(1011);
      expect(failed.reason).toBe(PlaybackRefusal.storage);
      // Before the storage failed, the manifest had gone out.
      expect(JSON.parse(failed.messages[0] as string).type).toBe('recording');

      // A proxy shutting down tells its playbacks to go away, as its consoles (1001).
      const last = playbackToken(grantOf());
      gates.set(last, new Promise<void>((resolve) => (open = resolve)));
      const stopped = playbackSocket(down, downOrigin, last);
      await eventually(() => asked.has(last), 'the last playback waiting on the API', WAIT);
      await down.close(10_000);
      open();
      expect(await stopped).toEqual({ messages: [], code: 1001, reason: Refusal.shutdown });
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
      await page.goto(`${origin}/playback.html?token=${encodeURIComponent(playbackToken(grantOf()))}`);
      await page.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
      expect(await page.evaluate(() => location.href)).toBe(`${origin}/playback.html`);
      const text = (name: string) => page.textContent(`[data-field="${name}"]`);
      expect(await text('user')).toBe(`admin@${tenantId}`);
      expect(await text('vm')).toBe(`vm-701 (instance ${manifest.instanceUuid})`);
      expect(await text('tenant')).toBe(tenantId);
      expect(await text('started')).toBe(utc(manifest.startedAt));
      expect(await text('ended')).toBe(utc(manifest.endedAt!));
      expect(await text('duration')).toBe(duration(Date.parse(manifest.endedAt!) - Date.parse(manifest.startedAt)));
      expect(await text('client')).toBe('127.0.0.1');
      expect(await text('proxy')).toBe('playback-test-proxy');
      expect(await text('console-type')).toBe('WEBMKS');
      expect(await text('state')).toBe('Recorded: every chunk of the session is stored.');
      const inputs = recorded.filter((frame) => frame.direction === FROM_BROWSER).length;
      expect(await text('input')).toBe(`${inputs} input messages recorded (keystrokes, pointer); shown here, never replayed`);
      expect(await text('recording-id')).toBe(manifest.recordingId);
      expect(await text('viewer')).toBe(`auditor@${tenantId}`);
      const durationMs = Math.max(recorded.at(-1)!.offsetMs, Date.parse(manifest.endedAt!) - Date.parse(manifest.startedAt));
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

    /** Stores `frames` as a recording of its own (a copy of the manifest with `changes`) and opens its playback page. */
    async function openCopy(frames: CapturedFrame[], changes: Partial<RecordingManifest>): Promise<Page> {
      const copy = { ...manifest, recordingId: randomUUID(), ...changes };
      const keyPrefix = recordingKeyPrefix(copy.tenantId, copy.vmMoId, copy.recordingId);
      for (const [sequence, chunk] of chunksOf(frames).entries()) await storage.put(chunkKey(keyPrefix, sequence), chunk, 30);
      const opened = await browser.newPage();
      await opened.goto(`${origin}/playback.html?token=${encodeURIComponent(playbackToken({ ...grantOf(), manifest: copy, keyPrefix }))}`);
      return opened;
    }

    it('answers a recorded VNC-authentication handshake with an empty password, and the recorded stream goes on', async () => {
      // The same console as if its server had asked for VNC authentication: security type 2, then a challenge.
      const offer = recorded.filter((frame) => frame.direction === FROM_VM)[1]!;
      expect([...offer.payload]).toEqual([1, 1]);
      const frames = recorded.flatMap((frame) =>
        frame === offer ? [{ ...frame, payload: Buffer.from([1, 2]) }, { ...frame, payload: randomBytes(16) }] : [frame],
      );
      const replay = await openCopy(frames, {});
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

      const notRecorded = await openCopy([], { state: 'not recorded', reason: 'no recording storage', chunks: 0, bytes: 0 });
      await notRecorded.waitForSelector('body[data-state="empty"]', { timeout: 120_000 });
      expect(await notRecorded.textContent('#status')).toBe('There is no screen to play in this recording.');
      expect(await notRecorded.textContent('[data-field="state"]')).toBe(
        'Not recorded: the recording storage was unavailable when the console opened, and the policy let it open unrecorded; there is nothing to play. (no recording storage)',
      );
      expect(await notRecorded.isDisabled('#play')).toBe(true);
      await notRecorded.close();
    });

    it('refuses a used playback link, saying why', async () => {
      const token = playbackToken(grantOf());
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
