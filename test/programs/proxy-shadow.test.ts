/**
 * Read-only shadowing end to end (issue 27): `npm start`'s stack (serverless-offline with its WebSocket API,
 * dynalite), a console proxy holding an order channel on that WebSocket API, a demo VM's screen
 * (scripts/demo-screen/: one screen shared by all its VNC clients, echoing what is typed), Debian's Chromium
 * (headless) with the owner's console and the operator's shadow of it, and raw WebSocket clients where the
 * wire itself is the point. The shadow shows the live screen pixel for pixel; nothing it types reaches the VM
 * (its page sends none, and the proxy drops what a client sends anyway: the VNC server sees only the viewer's
 * requests on the shadow's connection); the watched page names its watcher (the API's watch order) and forgets
 * it when the shadow ends; the registry lists the shadow with its session; ending the watched console ends
 * the shadow.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { startRfbServer, type RfbServer } from '../../scripts/demo-screen/rfb.js';
import { BAND_HEIGHT, DemoScreen } from '../../scripts/demo-screen/screen.js';
import { CHROMIUM, freePort, launchBrowser } from '../support/browser-console.js';
import { canvasPixels, differingPixels } from '../support/canvas.js';
import { captureOutput, proxyConfig } from '../support/console-fixtures.js';
import { startStack, type Stack } from '../support/local-stack.js';
import { stackClient } from '../support/stack-client.js';
import { eventually } from '../support/wait.js';

const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (scripts/install-e2e-deps.sh)`;
if (missing) console.warn(`proxy-shadow skipped: ${missing}`);

const TENANT = `shadow-${randomBytes(3).toString('hex')}`;
const VM = 'vm-1';
const OWNER = `alice@${TENANT}`;
/** A tenant auditor (VirtualMachine.Interact.ConsoleAudit): shadows through vCenter REST. */
const AUDITOR = `audrey@${TENANT}`;
const PASSWORD = 'shadow-user-pass';
const PROXY_KEY = 'demo-console-proxy-key';
const SDK = '/sdk/vim25/8.0.3.0';
const NOTICES = 'console-broker.notices';
const WATCHED_ENDED = 'The watched console session ended.';
/** The screen's clock stops here, so that the canvas can equal the framebuffer pixel for pixel. */
const CLOCK = new Date('2026-12-01T09:30:00Z');
const WAIT = { timeoutMs: 120_000, intervalMs: 250 };
const VIEWER_MESSAGES = new Set([0, 2, 3]); // SetPixelFormat, SetEncodings, FramebufferUpdateRequest
const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

interface ConsoleListing {
  sessionId: string;
  userName: string;
  consoleType: string;
  shadowOf?: { sessionId: string; userName: string };
}

/** A console WebSocket as a program opens it: binary frames and text frames kept apart. */
class RawConsole {
  readonly ws: WebSocket;
  binary = Buffer.alloc(0);
  readonly texts: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, origin: string, protocols: string[] = []) {
    this.ws = new WebSocket(url, protocols, { origin });
    this.ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.binary = Buffer.concat([this.binary, data]);
      else this.texts.push(data.toString('utf8'));
    });
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Waits until `length` bytes came from the VM in all. */
  received = (length: number, what: string) => eventually(() => this.binary.length >= length, what, WAIT);

  /** A round trip: whatever the proxy sent this client before it answered the ping has arrived. */
  settled = () =>
    new Promise<void>((resolve) => {
      this.ws.once('pong', () => resolve());
      this.ws.ping();
    });
}

describe.skipIf(missing)('read-only shadowing through the console proxy and the API', () => {
  let stack: Stack;
  let proxy: ConsoleProxy;
  let origin: string;
  let screen: DemoScreen;
  let vnc: RfbServer;
  let browser: BrowserContext;
  let profile: string;
  let vimSession: string;
  let auditorSession: string;
  const logs: string[] = [];
  let restoreOutput: () => void;
  /** The client messages the VNC server read, by its client's number (1, 2, … in the order they connected). */
  const messages = new Map<number, number[]>();
  let vncClients = 0;
  const { call, operator: operatorOf } = stackClient(() => stack.url);
  const operator = (method: string, path: string, body?: unknown) => operatorOf(TENANT, method, path, body);

  beforeAll(async () => {
    restoreOutput = captureOutput((text) => logs.push(text));
    screen = new DemoScreen({ vmMoId: VM, name: 'web-01', tenantId: TENANT, tenantName: 'Shadow', guestOsFamily: 'linux', band: '#2e7d32' }, { now: () => CLOCK });
    vnc = await startRfbServer(screen, { port: 0, onMessage: (client, type) => messages.set(client, [...(messages.get(client) ?? []), type]) });
    stack = await startStack();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    proxy = await startConsoleProxy(proxyConfig(stack.url, {
      port, allowedOrigins: [origin], apiKey: PROXY_KEY, ordersUrl: stack.websocketUrl, instanceId: 'shadow-proxy',
      metrics: { host: '127.0.0.1', port: 0 }, idleTimeoutMs: 600_000, maxSessionMs: 600_000,
    }));
    await proxy.ordersReady();

    await operator('PUT', '', { displayName: 'Shadowing' });
    await operator('PUT', `/users/${OWNER}`, { password: PASSWORD, privileges: ['VirtualMachine.Interact.ConsoleInteract'] });
    await operator('PUT', `/users/${AUDITOR}`, { password: PASSWORD, privileges: ['VirtualMachine.Interact.ConsoleAudit'] });
    await operator('PUT', `/vms/${VM}`, {
      instanceUuid: `8a1b7c2d-3e4f-4a5b-8c6d-${randomBytes(6).toString('hex')}`,
      name: 'web-01',
      powerState: 'poweredOn',
      guestOsFamily: 'linux',
      host: { address: 'esx-01.test', sslThumbprintSha1: Array(20).fill('AB').join(':'), sslThumbprintSha256: Array(32).fill('CD').join(':') },
      vnc: { host: '127.0.0.1', port: vnc.port },
      vmxPath: `[datastore1] ${VM}/${VM}.vmx`,
    });
    const login = await call('POST', `${SDK}/SessionManager/SessionManager/Login`, { body: { userName: OWNER, password: PASSWORD } });
    expect(login.status).toBe(200);
    vimSession = login.headers.get('vmware-api-session-id')!;
    const auditorLogin = await call('POST', '/api/session', { headers: { authorization: `Basic ${Buffer.from(`${AUDITOR}:${PASSWORD}`).toString('base64')}` } });
    expect(auditorLogin.status).toBe(201);
    auditorSession = auditorLogin.body as string;
    profile = mkdtempSync(join(tmpdir(), 'proxy-shadow-chromium-'));
    browser = await launchBrowser(profile);
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    stack?.kill();
    await vnc?.close();
    restoreOutput?.();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** The owner's WEBMKS ticket (vim25 AcquireTicket), as a path on the proxy: `ticket/<ticket>`. */
  async function ownerTicket(): Promise<string> {
    const acquired = await call('POST', `${SDK}/VirtualMachine/${VM}/AcquireTicket`, {
      headers: { 'vmware-api-session-id': vimSession },
      body: { ticketType: 'webmks' },
    });
    expect(acquired.status).toBe(200);
    return `ticket/${encodeURIComponent(acquired.body.ticket)}`;
  }

  const consoles = async (): Promise<ConsoleListing[]> => (await operator('GET', `/vms/${VM}/console-sessions`)).consoleSessions;

  /** The registry id of the console opened last by the owner (found by its appearance in the listing). */
  async function newOwnerSession(before: Set<string>): Promise<string> {
    const added = await eventually(async () => {
      const found = (await consoles()).filter((listed) => !before.has(listed.sessionId) && !listed.shadowOf);
      return found.length === 1 && found[0]!;
    }, "the owner's console in the registry", WAIT);
    return added.sessionId;
  }

  /** The operator's shadow of `sessionId`, as a path on the proxy (`?token=<ticket>`, from the URL the API answers). */
  async function shadowTicket(sessionId: string): Promise<string> {
    const issued = await operator('POST', `/console-sessions/${sessionId}/shadows`);
    expect(issued.url).toMatch(/\/vnc_auto\.html\?path=%3Ftoken%3D/);
    return new URL(issued.url).searchParams.get('path')!.replace(/^\//, '');
  }

  /** The auditor's shadow of `sessionId` (vCenter REST `?action=shadow`), as a path on the proxy. */
  async function auditorShadowTicket(sessionId: string): Promise<string> {
    const issued = await call('POST', `/api/vcenter/vm/${VM}/console/sessions/${sessionId}?action=shadow`, {
      headers: { 'vmware-api-session-id': auditorSession },
    });
    expect(issued.status, issued.text).toBe(201);
    return new URL(issued.body.url).searchParams.get('path')!.replace(/^\//, '');
  }

  /** The console page on `path`, connected; its VNC connection is the server's next client. */
  async function openPage(path: string): Promise<{ page: Page; client: number }> {
    const page = await browser.newPage();
    await page.goto(`${origin}/vnc_auto.html?path=${encodeURIComponent(path)}`);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 120_000 });
    vncClients += 1;
    return { page, client: vncClients };
  }

  /** A raw console on `path`, greeted by the VM; its VNC connection is the server's next client. */
  async function openRaw(path: string, protocols: string[] = []): Promise<{ raw: RawConsole; client: number }> {
    const raw = new RawConsole(`${proxy.url.replace('http', 'ws')}/${path}`, origin, protocols);
    await raw.received(12, 'the VM greeted');
    vncClients += 1;
    return { raw, client: vncClients };
  }

  /** The proxy's log line of `message` about the session. */
  const logged = (message: string, sessionId: string) =>
    eventually(
      () => logs.join('').split('\n').find((entry) => entry.includes(`"${message}"`) && entry.includes(sessionId)),
      `${message} ${sessionId} in the log`,
      WAIT,
    );
  const showsScreen = (page: Page, what: string) =>
    eventually(async () => differingPixels(await canvasPixels(page), screen) === 0, what, WAIT);

  it("shows the owner's live screen in the shadow, takes no input from it, and tells the owner who watches", async () => {
    const before = new Set((await consoles()).map((listed) => listed.sessionId));
    const { page: ownerPage, client: ownerClient } = await openPage(await ownerTicket());
    const owner = await newOwnerSession(before);
    await ownerPage.keyboard.type('echo before');
    await ownerPage.keyboard.press('Enter');
    await eventually(() => screen.entered.includes('echo before'), 'the owner typed a line', WAIT);

    // The operator's shadow: the page shows whose console it is, and the screen.
    const { page: shadowPage, client: shadowClient } = await openPage(await shadowTicket(owner));
    expect(await shadowPage.getAttribute('body', 'data-mode')).toBe('shadow');
    expect(await shadowPage.textContent('#notice')).toBe(`Read-only view of ${OWNER}'s console`);
    expect(await shadowPage.isVisible('#notice')).toBe(true);
    expect(await shadowPage.isVisible('#ctrl-alt-del')).toBe(false);
    await showsScreen(shadowPage, 'the shadow shows the screen');

    // The registry lists the shadow with the session it watches.
    const shadow = (await consoles()).find((listed) => listed.shadowOf?.sessionId === owner)!;
    expect(shadow).toMatchObject({ consoleType: 'shadow', userName: 'operator', shadowOf: { sessionId: owner, userName: OWNER } });
    expect(JSON.parse(await logged('console session started', shadow.sessionId))).toMatchObject({ principal: 'operator', shadowOf: owner });

    // The API's watch order reaches the owner's page.
    await ownerPage.waitForSelector('body[data-watchers="operator"]', { timeout: 60_000 });
    expect(await ownerPage.isVisible('#notice')).toBe(true);
    expect(await ownerPage.textContent('#notice')).toMatch(/^operator is watching this console \(read-only\) since \d\d:\d\d:\d\d/);
    expect(await ownerPage.getAttribute('body', 'data-mode')).toBeNull();

    // A tenant auditor watches too: both are listed, oldest first, one line each; then the auditor leaves.
    const { raw: auditorShadow } = await openRaw(await auditorShadowTicket(owner));
    await ownerPage.waitForSelector(`body[data-watchers="operator, ${AUDITOR}"]`, { timeout: 60_000 });
    const lines = await ownerPage.locator('#notice p').allTextContents();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^operator is watching this console \(read-only\) since \d\d:\d\d:\d\d/);
    expect(lines[1]).toMatch(new RegExp(`^${AUDITOR} is watching this console \\(read-only\\) since \\d\\d:\\d\\d:\\d\\d`));
    auditorShadow.ws.close();
    await auditorShadow.closed;
    await ownerPage.waitForSelector('body[data-watchers="operator"]', { timeout: 60_000 });

    // What the owner types appears in the shadow's canvas.
    const shown = (await canvasPixels(shadowPage))!;
    await ownerPage.keyboard.type('seen by the shadow');
    await eventually(() => screen.line === 'seen by the shadow', 'the owner typed', WAIT);
    await showsScreen(shadowPage, "the owner's typing on the shadow's canvas");
    const after = (await canvasPixels(shadowPage))!;
    expect(after.subarray(BAND_HEIGHT * screen.width * 4).equals(shown.subarray(BAND_HEIGHT * screen.width * 4))).toBe(false);

    // What the shadow types reaches nothing.
    const keys = screen.keysReceived;
    const box = (await shadowPage.locator('#screen canvas').boundingBox())!;
    await shadowPage.mouse.click(box.x + box.width / 3, box.y + box.height / 3);
    await shadowPage.keyboard.type('typed in the shadow');
    await shadowPage.keyboard.press('Enter');
    await ownerPage.keyboard.press('Enter');
    await eventually(() => screen.entered.includes('seen by the shadow'), "the owner's Enter", WAIT);
    expect(screen.entered).not.toContain('typed in the shadow');
    expect(screen.keysReceived).toBe(keys + 1);
    expect(messages.get(shadowClient)?.length).toBeGreaterThan(0);
    expect(messages.get(shadowClient)!.filter((type) => !VIEWER_MESSAGES.has(type))).toEqual([]);
    expect(messages.get(ownerClient)).toContain(4);
    await showsScreen(shadowPage, 'the shadow still follows the screen');

    // The shadow ends: its end report leaves the registry, and the API tells the owner's page nobody watches.
    await shadowPage.close();
    await ownerPage.waitForSelector('body:not([data-watchers])', { timeout: 60_000 });
    expect(await ownerPage.isVisible('#notice')).toBe(false);
    expect((await consoles()).map((listed) => listed.sessionId)).toEqual([owner]);
    // Its page sent no input at all (view-only): the proxy had nothing to drop.
    expect(JSON.parse(await logged('console session ended', shadow.sessionId))).toMatchObject({
      principal: 'operator', shadowOf: owner, endReason: 'client closed',
      droppedInput: { key: 0, pointer: 0, clipboard: 0, resize: 0, power: 0 },
    });

    // A second shadow ends with the console it watches.
    const { page: secondPage } = await openPage(await shadowTicket(owner));
    await ownerPage.waitForSelector('body[data-watchers="operator"]', { timeout: 60_000 });
    await ownerPage.close();
    await secondPage.waitForSelector('body[data-state="disconnected"]', { timeout: 60_000 });
    expect(await secondPage.textContent('#status')).toBe(WATCHED_ENDED);
    expect(await secondPage.getAttribute('body', 'data-close-code')).toBe('1008');
    await secondPage.close();
    await eventually(async () => (await consoles()).length === 0, 'the registry empty again', WAIT);
  });

  it('drops every input event a shadow client sends, counts them, and ends the shadow on a message it cannot pass', async () => {
    const before = new Set((await consoles()).map((listed) => listed.sessionId));
    const { raw: ownerConsole } = await openRaw(await ownerTicket());
    const owner = await newOwnerSession(before);
    const { raw: client, client: shadowClient } = await openRaw(await shadowTicket(owner));
    const shadow = (await consoles()).find((listed) => listed.shadowOf?.sessionId === owner)!;
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
    // Input split across messages and glued to a request: only the request may reach the VM.
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
    const ended = await logged('console session ended', shadow.sessionId);
    expect(JSON.parse(ended)).toMatchObject({
      endReason: 'read-only violation',
      shadowOf: owner,
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
    await eventually(async () => (await consoles()).length === 0, 'the registry empty again', WAIT);
  });

  it('sends notices only to a page that offered the notices subprotocol; others get binary frames as before', async () => {
    const opened: { raw: RawConsole; sessionId: string }[] = [];
    for (const protocols of [['binary'], [], ['binary', NOTICES]]) {
      const before = new Set((await consoles()).map((listed) => listed.sessionId));
      const { raw } = await openRaw(await ownerTicket(), protocols);
      opened.push({ raw, sessionId: await newOwnerSession(before) });
    }
    const [webmks, novnc, withNotices] = opened as [(typeof opened)[0], (typeof opened)[0], (typeof opened)[0]];
    expect([withNotices, webmks, novnc].map(({ raw }) => raw.ws.protocol)).toEqual([NOTICES, 'binary', '']);

    // A shadow of each (the last one a tenant auditor's): the API pushes a watch order for each session; the
    // proxy follows each (its log says so).
    const shadows: RawConsole[] = [];
    for (const { sessionId } of opened) {
      const path = sessionId === withNotices.sessionId ? await auditorShadowTicket(sessionId) : await shadowTicket(sessionId);
      shadows.push((await openRaw(path)).raw);
      await logged('console watchers changed', sessionId);
    }
    await eventually(() => withNotices.raw.texts.length > 0, 'the notice', WAIT);
    const notice = JSON.parse(withNotices.raw.texts[0]!);
    expect(notice).toEqual({ type: 'watchers', watchers: [{ userName: AUDITOR, since: iso }] });
    expect(withNotices.raw.texts).toEqual([JSON.stringify(notice)]);
    await Promise.all([webmks, novnc].map(({ raw }) => raw.settled()));
    expect(webmks.raw.texts).toEqual([]);
    expect(novnc.raw.texts).toEqual([]);
    // The binary stream is the VM's, untouched by the notice beside it.
    expect(opened.map(({ raw }) => raw.binary.toString('latin1'))).toEqual(Array(3).fill('RFB 003.008\n'));

    // Its shadow ends: nobody watches any more.
    shadows[2]!.ws.close();
    await eventually(() => withNotices.raw.texts.length > 1, 'the second notice', WAIT);
    expect(withNotices.raw.texts[1]).toBe('{"type":"watchers","watchers":[]}');
    for (const raw of [...shadows, ...opened.map((each) => each.raw)]) raw.ws.close();
    await Promise.all([...shadows, ...opened.map((each) => each.raw)].map((raw) => raw.closed));
  });
});
