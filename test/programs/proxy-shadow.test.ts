/**
 * Read-only shadowing through the real console proxy (issue 27): a demo VM's screen (scripts/demo-screen/, one
 * screen shared by all its VNC clients, echoing what is typed), Debian's Chromium (headless) with the owner's
 * console and a shadow of it, and raw WebSocket clients where the wire itself is the point. The shadow shows the
 * live screen pixel for pixel; nothing it types reaches the VM (its page sends none, and the proxy drops what a
 * client sends anyway: the VNC server sees only the viewer's requests on the shadow's connection); the watched
 * page names its watcher and forgets it when the shadow ends; ending the watched console ends the shadow.
 *
 * The API is a stand-in here (the tickets' targets, as the API's redemption answers them) and orders come over
 * a WebSocket order channel of the test's own, in the shapes lib/protocol/console-proxy.ts defines.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { ConsoleSessionReport, ConsoleTarget, ProxyOrder, ShadowOf } from '../../lib/protocol/console-proxy.js';
import { issueSecret, scopeKey } from '../../lib/protocol/secrets.js';
import type { ConsoleBrokerApi } from '../../proxy/api.js';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { startRfbServer, type RfbServer } from '../../scripts/demo-screen/rfb.js';
import { BAND_HEIGHT, DemoScreen } from '../../scripts/demo-screen/screen.js';
import { CHROMIUM, freePort, launchBrowser } from '../support/browser-console.js';
import { canvasPixels, differingPixels } from '../support/canvas.js';
import { captureOutput, proxyConfig } from '../support/console-fixtures.js';
import { eventually } from '../support/wait.js';

const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (scripts/install-e2e-deps.sh)`;
if (missing) console.warn(`proxy-shadow skipped: ${missing}`);

const TENANT = 'shadow-test';
const VM = 'vm-101';
const OWNER = `alice@${TENANT}`;
const AUDITOR = `audrey@${TENANT}`;
const NOTICES = 'console-broker.notices';
/** The screen's clock stops here, so that the canvas can equal the framebuffer pixel for pixel. */
const CLOCK = new Date('2026-12-01T09:30:00Z');
const WAIT = { timeoutMs: 120_000, intervalMs: 250 };
const VIEWER_MESSAGES = new Set([0, 2, 3]); // SetPixelFormat, SetEncodings, FramebufferUpdateRequest

/** The API's side, as the proxy sees it: tickets redeemed once into their targets, reports kept. */
function standInApi() {
  const targets = new Map<string, ConsoleTarget>();
  const reports: ConsoleSessionReport[] = [];
  const api: ConsoleBrokerApi = {
    async redeemTicket(ticket) {
      const target = targets.get(ticket);
      targets.delete(ticket);
      return target;
    },
    async recordSession(report) {
      reports.push(report);
    },
    async heartbeat() {
      return { ended: [] };
    },
  };
  return { api, targets, reports };
}

/** A console WebSocket as a program opens it: binary frames and text frames kept apart. */
class RawConsole {
  readonly ws: WebSocket;
  binary = Buffer.alloc(0);
  readonly texts: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(proxy: ConsoleProxy, origin: string, ticket: string, protocols: string[] = []) {
    this.ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/?token=${encodeURIComponent(ticket)}`, protocols, { origin });
    this.ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.binary = Buffer.concat([this.binary, data]);
      else this.texts.push(data.toString('utf8'));
    });
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Waits until `length` bytes came from the VM in all. */
  received = (length: number, what: string) => eventually(() => this.binary.length >= length, what, WAIT);
}

describe.skipIf(missing)('read-only shadowing through the console proxy', () => {
  let proxy: ConsoleProxy;
  let origin: string;
  let screen: DemoScreen;
  let vnc: RfbServer;
  let browser: BrowserContext;
  let profile: string;
  let orders: WebSocketServer;
  let orderChannel: WebSocket | undefined;
  const stand = standInApi();
  const logs: string[] = [];
  let restoreOutput: () => void;
  /** The client messages the VNC server read, by its client's number (1, 2, … in the order they connected). */
  const messages = new Map<number, number[]>();
  let vncClients = 0;

  beforeAll(async () => {
    restoreOutput = captureOutput((text) => logs.push(text));
    screen = new DemoScreen({ vmMoId: VM, name: 'web-01', tenantId: TENANT, tenantName: 'Shadow', guestOsFamily: 'linux', band: '#2e7d32' }, { now: () => CLOCK });
    vnc = await startRfbServer(screen, { port: 0, onMessage: (client, type) => messages.set(client, [...(messages.get(client) ?? []), type]) });
    orders = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    orders.on('connection', (socket) => (orderChannel = socket));
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const ordersUrl = `ws://127.0.0.1:${(orders.address() as { port: number }).port}`;
    proxy = await startConsoleProxy(proxyConfig('http://127.0.0.1:9', { port, allowedOrigins: [origin], ordersUrl, metrics: { host: '127.0.0.1', port: 0 } }), stand.api);
    await proxy.ordersReady();
    profile = mkdtempSync(join(tmpdir(), 'proxy-shadow-chromium-'));
    browser = await launchBrowser(profile);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await vnc?.close();
    await new Promise((resolve) => orders?.close(resolve));
    restoreOutput?.();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** A ticket whose redemption opens VM's console as `userName` (a shadow of `shadowOf`'s console when given). */
  function ticketFor(userName: string, shadowOf?: ShadowOf): { ticket: string; sessionId: string } {
    const sessionId = randomUUID();
    const ticket = issueSecret(TENANT, scopeKey(VM)).value;
    stand.targets.set(ticket, {
      tenantId: TENANT,
      vmMoId: VM,
      instanceUuid: '6a1b7c2d-3e4f-4a5b-8c6d-0123456789ab',
      consoleType: 'WEBMKS',
      issuedTo: userName,
      issuedAt: new Date().toISOString(),
      vnc: { host: '127.0.0.1', port: vnc.port },
      session: { sessionId, idleTimeoutSeconds: 600, maxDurationSeconds: 3600, heartbeatSeconds: 60 },
      ...(shadowOf ? { shadowOf } : {}),
    });
    return { ticket, sessionId };
  }

  /** The console page on `ticket`, connected; its VNC connection is the server's next client. */
  async function openPage(ticket: string): Promise<{ page: Page; client: number }> {
    const page = await browser.newPage();
    await page.goto(`${origin}/vnc_auto.html?path=${encodeURIComponent(`?token=${ticket}`)}`);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 120_000 });
    vncClients += 1;
    return { page, client: vncClients };
  }

  /** The proxy's log line of the session's end. */
  const sessionEnded = (sessionId: string) =>
    eventually(
      () => logs.join('').split('\n').find((entry) => entry.includes('"console session ended"') && entry.includes(sessionId)),
      `the end of ${sessionId} in the log`,
      WAIT,
    );
  const push = (order: ProxyOrder) => orderChannel!.send(JSON.stringify(order));
  const showsScreen = (page: Page, what: string) =>
    eventually(async () => differingPixels(await canvasPixels(page), screen) === 0, what, WAIT);

  it("shows the owner's live screen in the shadow, takes no input from it, and tells the owner who watches", async () => {
    const owner = ticketFor(OWNER);
    const { page: ownerPage, client: ownerClient } = await openPage(owner.ticket);
    await ownerPage.keyboard.type('echo before');
    await ownerPage.keyboard.press('Enter');
    await eventually(() => screen.entered.includes('echo before'), 'the owner typed a line', WAIT);

    const shadow = ticketFor(AUDITOR, { sessionId: owner.sessionId, userName: OWNER });
    const { page: shadowPage, client: shadowClient } = await openPage(shadow.ticket);
    expect(await shadowPage.getAttribute('body', 'data-mode')).toBe('shadow');
    expect(await shadowPage.textContent('#notice')).toBe(`Read-only view of ${OWNER}'s console`);
    expect(await shadowPage.isVisible('#notice')).toBe(true);
    expect(await shadowPage.isVisible('#ctrl-alt-del')).toBe(false);
    await showsScreen(shadowPage, 'the shadow shows the screen');

    // The API tells the owner's proxy who watches (a watch order).
    const since = new Date().toISOString();
    push({ type: 'watchers', tenantId: TENANT, sessionId: owner.sessionId, watchers: [{ userName: AUDITOR, since }] });
    await ownerPage.waitForSelector(`body[data-watchers="${AUDITOR}"]`, { timeout: 60_000 });
    expect(await ownerPage.isVisible('#notice')).toBe(true);
    expect(await ownerPage.textContent('#notice')).toMatch(new RegExp(`^${AUDITOR} is watching this console \\(read-only\\) since \\d\\d:\\d\\d:\\d\\d`));
    expect(await ownerPage.getAttribute('body', 'data-mode')).toBeNull();

    // What the owner types appears in the shadow's canvas.
    const before = (await canvasPixels(shadowPage))!;
    await ownerPage.keyboard.type('seen by the shadow');
    await eventually(() => screen.line === 'seen by the shadow', 'the owner typed', WAIT);
    await showsScreen(shadowPage, "the owner's typing on the shadow's canvas");
    const after = (await canvasPixels(shadowPage))!;
    expect(after.subarray(BAND_HEIGHT * screen.width * 4).equals(before.subarray(BAND_HEIGHT * screen.width * 4))).toBe(false);

    // What the shadow types reaches nothing.
    const keys = screen.keysReceived;
    const box = (await shadowPage.locator('#screen canvas').boundingBox())!;
    await shadowPage.mouse.click(box.x + box.width / 3, box.y + box.height / 3);
    await shadowPage.keyboard.type('typed in the shadow');
    await shadowPage.keyboard.press('Enter');
    // A line the owner types after it is the sync point: the shadow's keys, had any passed, came first.
    await ownerPage.keyboard.press('Enter');
    await eventually(() => screen.entered.includes('seen by the shadow'), "the owner's Enter", WAIT);
    expect(screen.entered).not.toContain('typed in the shadow');
    expect(screen.keysReceived).toBe(keys + 1);
    expect(messages.get(shadowClient)?.length).toBeGreaterThan(0);
    expect(messages.get(shadowClient)!.filter((type) => !VIEWER_MESSAGES.has(type))).toEqual([]);
    expect(messages.get(ownerClient)).toContain(4);
    await showsScreen(shadowPage, 'the shadow still follows the screen');

    // The shadow ends; the API tells the owner's proxy nobody watches any more.
    await shadowPage.close();
    await eventually(() => stand.reports.find((report) => report.sessionId === shadow.sessionId), "the shadow's end report", WAIT);
    // Its page sent no input at all (view-only): the proxy had nothing to drop.
    expect(JSON.parse(await sessionEnded(shadow.sessionId))).toMatchObject({
      principal: AUDITOR, shadowOf: owner.sessionId, endReason: 'client closed',
      droppedInput: { key: 0, pointer: 0, clipboard: 0, resize: 0, power: 0 },
    });
    push({ type: 'watchers', tenantId: TENANT, sessionId: owner.sessionId, watchers: [] });
    await ownerPage.waitForSelector('body:not([data-watchers])', { timeout: 60_000 });
    expect(await ownerPage.isVisible('#notice')).toBe(false);

    // A second shadow ends with the console it watches.
    const second = ticketFor(AUDITOR, { sessionId: owner.sessionId, userName: OWNER });
    const { page: secondPage } = await openPage(second.ticket);
    await ownerPage.close();
    await secondPage.waitForSelector('body[data-state="disconnected"]', { timeout: 60_000 });
    expect(await secondPage.textContent('#status')).toBe('The watched console session ended.');
    expect(await secondPage.getAttribute('body', 'data-close-code')).toBe('1008');
    await secondPage.close();
  });

  it('drops every input event a shadow client sends, counts them, and ends the shadow on a message it cannot pass', async () => {
    const owner = ticketFor(OWNER);
    const ownerConsole = new RawConsole(proxy, origin, owner.ticket);
    await ownerConsole.received(12, "the owner's console reached the VM");
    vncClients += 1;
    const shadow = ticketFor(AUDITOR, { sessionId: owner.sessionId, userName: OWNER });
    const client = new RawConsole(proxy, origin, shadow.ticket);
    await client.received(12, 'ProtocolVersion');
    vncClients += 1;
    const shadowClient = vncClients;
    expect(client.binary.subarray(0, 12).toString('latin1')).toBe('RFB 003.008\n');
    client.ws.send(Buffer.from('RFB 003.008\n'));
    await client.received(14, 'the security types');
    client.ws.send(Buffer.from([1]));
    await client.received(18, 'the security result');
    client.ws.send(Buffer.from([0])); // ClientInit, not shared: the proxy makes it shared
    await client.received(18 + 24, 'ServerInit');

    const keys = screen.keysReceived;
    const line = screen.line;
    const updateRequest = Buffer.from([3, 0, 0, 0, 0, 0, 0x03, 0x20, 0x02, 0x58]);
    const keyEvent = (down: number) => Buffer.from([4, down, 0, 0, 0, 0, 0, 0x78]);
    const cutText = Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, 4]), Buffer.from('evil')]);
    const pointer = Buffer.from([5, 1, 0, 10, 0, 10]);
    // Input split across messages and glued to a request: only the requests may reach the VM.
    const stream = Buffer.concat([keyEvent(1), pointer, cutText, keyEvent(0), updateRequest]);
    client.ws.send(stream.subarray(0, 5));
    client.ws.send(stream.subarray(5, 23));
    client.ws.send(stream.subarray(23));
    const sentBefore = client.binary.length;
    await client.received(sentBefore + 4, 'a framebuffer update for the request');
    expect(messages.get(shadowClient)).toEqual([3]);
    expect(screen.keysReceived).toBe(keys);
    expect(screen.line).toBe(line);

    // A message the filter does not know: nothing after it could be read, so the shadow ends.
    client.ws.send(Buffer.from([7, 0, 0, 0]));
    expect(await client.closed).toEqual({ code: 1008, reason: 'The console sent a message a read-only view cannot pass.' });
    expect(messages.get(shadowClient)).toEqual([3]);
    const ended = await sessionEnded(shadow.sessionId);
    expect(JSON.parse(ended)).toMatchObject({
      endReason: 'read-only violation',
      shadowOf: owner.sessionId,
      droppedInput: { key: 2, pointer: 1, clipboard: 1, resize: 0, power: 0 },
    });
    expect(ended).not.toContain('evil');
    // And in the metrics, by kind (the page's shadow of the test before dropped nothing).
    const metrics = await (await fetch(proxy.metricsUrl!)).text();
    expect(metrics.split('\n').filter((entry) => entry.startsWith('console_proxy_shadow_input_dropped_total'))).toEqual([
      'console_proxy_shadow_input_dropped_total{kind="key"} 2',
      'console_proxy_shadow_input_dropped_total{kind="pointer"} 1',
      'console_proxy_shadow_input_dropped_total{kind="clipboard"} 1',
      'console_proxy_shadow_input_dropped_total{kind="resize"} 0',
      'console_proxy_shadow_input_dropped_total{kind="power"} 0',
    ]);
    ownerConsole.ws.close();
    await ownerConsole.closed;
  });

  it('sends notices only to a page that offered the notices subprotocol; others get binary frames as before', async () => {
    const offered = ticketFor(OWNER);
    const binaryOnly = ticketFor(OWNER);
    const none = ticketFor(OWNER);
    const withNotices = new RawConsole(proxy, origin, offered.ticket, ['binary', NOTICES]);
    const webmks = new RawConsole(proxy, origin, binaryOnly.ticket, ['binary']);
    const novnc = new RawConsole(proxy, origin, none.ticket);
    for (const each of [withNotices, webmks, novnc]) await each.received(12, 'the VM greeted');
    vncClients += 3;
    expect([withNotices.ws.protocol, webmks.ws.protocol, novnc.ws.protocol]).toEqual([NOTICES, 'binary', '']);

    const watchers = [{ userName: AUDITOR, since: '2026-12-07T02:10:00.000Z' }, { userName: 'operator', since: '2026-12-07T02:11:00.000Z' }];
    // Orders for the other two first: by the time the last one shows on the first page, they were followed.
    push({ type: 'watchers', tenantId: TENANT, sessionId: binaryOnly.sessionId, watchers });
    push({ type: 'watchers', tenantId: TENANT, sessionId: none.sessionId, watchers });
    push({ type: 'watchers', tenantId: 'another-tenant', sessionId: offered.sessionId, watchers: [] });
    push({ type: 'watchers', tenantId: TENANT, sessionId: offered.sessionId, watchers });
    await eventually(() => withNotices.texts.length > 0, 'the notice', WAIT);
    expect(withNotices.texts).toEqual([JSON.stringify({ type: 'watchers', watchers })]);
    expect(webmks.texts).toEqual([]);
    expect(novnc.texts).toEqual([]);
    // The binary stream is the VM's, untouched by the notice beside it.
    expect([withNotices, webmks, novnc].map((each) => each.binary.toString('latin1'))).toEqual(Array(3).fill('RFB 003.008\n'));

    // The same list again changes nothing; nobody any more is told.
    push({ type: 'watchers', tenantId: TENANT, sessionId: offered.sessionId, watchers });
    push({ type: 'watchers', tenantId: TENANT, sessionId: offered.sessionId, watchers: [] });
    await eventually(() => withNotices.texts.length > 1, 'the second notice', WAIT);
    expect(withNotices.texts).toEqual([JSON.stringify({ type: 'watchers', watchers }), '{"type":"watchers","watchers":[]}']);
    for (const each of [withNotices, webmks, novnc]) each.ws.close();
    await Promise.all([withNotices, webmks, novnc].map((each) => each.closed));
  });
});
