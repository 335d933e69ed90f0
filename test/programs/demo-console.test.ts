/**
 * The demo's console, end to end: every powered-on demo VM's screen (scripts/demo-screen/, as npm start
 * serves it), the real API over HTTP, the console proxy, and Debian's Chromium (headless, driven by
 * playwright-core) opening the console URL a user gets — Nova's noVNC URL for web-01 and app-01, the
 * vCenter WEBMKS URL (wss://<ESX host = the proxy>/ticket/<ticket>, opened as the README says) for win-01.
 * The canvas must show that VM's own screen, pixel for pixel; keys typed in the page must reach its server;
 * the same URL must then be refused. web-01's screen is also the README's screenshot
 * (scripts/demo-screen/web-01.png), which this test checks is current: DEMO_SCREENSHOT_UPDATE=1 rewrites it.
 * The VMs are the demo's, in tenants of this test's own and on free ports (npm start may hold 5901–5904).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, demoScreens } from '../../scripts/demo-data.js';
import { startRfbServer, type RfbServer } from '../../scripts/demo-screen/rfb.js';
import { BAND_HEIGHT, DemoScreen, type ScreenIdentity } from '../../scripts/demo-screen/screen.js';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { api, basic, OPERATOR } from '../support/api.js';
import { createTenant, proxyConfig } from '../support/console-fixtures.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';
import { canvasPixels, differingPixels } from '../support/canvas.js';
import { eventually } from '../support/wait.js';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) console.warn(`demo-console skipped: ${CHROMIUM} not installed; run scripts/install-e2e-deps.sh`);

const SCREENSHOT = fileURLToPath(new URL('../../scripts/demo-screen/web-01.png', import.meta.url));
/** The screens' clocks stop here, so that the screenshot is the same at every run. */
const CLOCK = new Date('2026-12-01T09:30:00Z');
const PASSWORD = 'demo-console-pass';
const REFUSED = 'The console ticket is not valid: it is unknown, expired or already used.';
const WAIT = { timeoutMs: 120_000, intervalMs: 250 };

interface Vm {
  identity: ScreenIdentity;
  screen: DemoScreen;
  server: RfbServer;
  tenantId: string;
  instanceUuid: string;
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Waits until the page's canvas is, pixel for pixel, what the VM's server draws now. */
const showsScreen = (page: Page, vm: Vm, what: string) =>
  eventually(async () => differingPixels(await canvasPixels(page), vm.screen) === 0, `${vm.identity.name}: ${what}`, WAIT);

describe.skipIf(!existsSync(CHROMIUM))("the demo's consoles in a browser", () => {
  let apiServer: ApiServer;
  let proxy: ConsoleProxy;
  let origin: string;
  let browser: BrowserContext;
  let profile: string;
  const vms = new Map<string, Vm>();
  const savedBaseUrl = process.env.CONSOLE_PROXY_BASE_URL;

  beforeAll(async () => {
    apiServer = await startApiServer();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    process.env.CONSOLE_PROXY_BASE_URL = origin;
    proxy = await startConsoleProxy(proxyConfig(apiServer.url, { port, allowedOrigins: [origin] }));
    const tenants = new Map<string, string>();
    for (const tenant of DEMO.tenants) {
      const tenantId = await createTenant(tenant.tenantId);
      tenants.set(tenant.tenantId, tenantId);
      const user = await api('PUT', `/operator/v1/tenants/${tenantId}/users/admin@${tenantId}`, {
        headers: OPERATOR,
        body: { password: PASSWORD, privileges: ['VirtualMachine.Interact.ConsoleInteract'] },
      });
      expect(user.status).toBe(200);
    }
    for (const { vnc: _demoEndpoint, ...identity } of demoScreens()) {
      const screen = new DemoScreen(identity, { now: () => CLOCK });
      const server = await startRfbServer(screen, { port: 0 });
      const tenantId = tenants.get(identity.tenantId)!;
      const spec = DEMO.tenants.find((tenant) => tenant.tenantId === identity.tenantId)!.vms[identity.vmMoId as 'vm-101']!;
      const instanceUuid = randomUUID();
      // The demo VM as seeded, but on this test's VNC server, and with this test's proxy as its ESX host.
      const created = await api('PUT', `/operator/v1/tenants/${tenantId}/vms/${identity.vmMoId}`, {
        headers: OPERATOR,
        body: { ...spec, instanceUuid, host: { ...spec.host, address: '127.0.0.1', port }, vnc: { host: '127.0.0.1', port: server.port } },
      });
      expect(created.status).toBe(200);
      vms.set(identity.name, { identity, screen, server, tenantId, instanceUuid });
    }
    profile = mkdtempSync(join(tmpdir(), 'demo-console-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1000, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await apiServer?.close();
    for (const vm of vms.values()) await vm.server.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (savedBaseUrl === undefined) delete process.env.CONSOLE_PROXY_BASE_URL;
    else process.env.CONSOLE_PROXY_BASE_URL = savedBaseUrl;
  });

  /** Nova's noVNC console URL, as `openstack console url show --novnc` gets it. */
  async function novaConsoleUrl(vm: Vm): Promise<string> {
    const login = await api('POST', '/api/session', { headers: basic(`admin@${vm.tenantId}`, PASSWORD) });
    const created = await api('POST', `/compute/v2.1/servers/${vm.instanceUuid}/remote-consoles`, {
      headers: { 'x-auth-token': login.body as string, 'x-openstack-nova-api-version': '2.6' },
      body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
    });
    expect(created.status).toBe(200);
    return created.body.remote_console.url as string;
  }

  /** vCenter's WEBMKS ticket URI, opened in the proxy's console page as the README shows. */
  async function webmksConsoleUrl(vm: Vm): Promise<string> {
    const login = await api('POST', '/api/session', { headers: basic(`admin@${vm.tenantId}`, PASSWORD) });
    const created = await api('POST', `/api/vcenter/vm/${vm.identity.vmMoId}/console/tickets`, {
      headers: { 'vmware-api-session-id': login.body as string },
      body: { type: 'WEBMKS' },
    });
    expect(created.status).toBe(201);
    const uri = created.body.ticket as string;
    expect(uri).toMatch(new RegExp(`^wss://127\\.0\\.0\\.1:${proxy.port}/ticket/${vm.tenantId}\\.`));
    return `${origin}/vnc_auto.html?path=${encodeURIComponent(new URL(uri).pathname.slice(1))}`;
  }

  it.each([
    ['web-01', 'Nova noVNC'],
    ['win-01', 'vCenter WEBMKS'],
    ['app-01', 'Nova noVNC'],
  ] as const)("%s's console (%s URL) shows its own screen, takes keys, and refuses the same URL again", async (name, kind) => {
    const vm = vms.get(name)!;
    const url = kind === 'vCenter WEBMKS' ? await webmksConsoleUrl(vm) : await novaConsoleUrl(vm);
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 120_000 });
    expect(await page.textContent('#status')).toBe(`Connected to ${name}`);
    await showsScreen(page, vm, 'its screen on the canvas');
    // Its own colour band, which no other demo VM has.
    const band = parseInt(vm.identity.band.slice(1), 16);
    const rgba = (await canvasPixels(page))!;
    expect([rgba[0], rgba[1], rgba[2]]).toEqual([band >> 16, (band >> 8) & 0xff, band & 0xff]);
    expect(new Set(demoScreens().map((screen) => screen.band)).size).toBe(demoScreens().length);

    const typed = `uptime ${name}`;
    const before = differingPixels(rgba, vm.screen);
    await page.keyboard.type(typed);
    await page.keyboard.press('Enter');
    await eventually(() => vm.screen.entered.includes(typed), `${name}: the typed line at its server`, WAIT);
    await showsScreen(page, vm, 'the echoed line on the canvas');
    expect(before).toBe(0);
    const after = (await canvasPixels(page))!;
    expect(after.subarray(BAND_HEIGHT * 800 * 4).equals(rgba.subarray(BAND_HEIGHT * 800 * 4))).toBe(false);

    if (name === 'web-01') await checkScreenshot(page, after);
    if (name === 'win-01') {
      await page.click('#ctrl-alt-del');
      await eventually(() => vm.screen.ctrlAltDeletes === 1, `${name}: Ctrl+Alt+Del at its server`, WAIT);
      await showsScreen(page, vm, 'the Ctrl+Alt+Del notice on the canvas');
    }
    const box = (await page.locator('#screen canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 4, box.y + box.height / 4);
    await eventually(() => vm.screen.pointer.x < 400 && vm.screen.pointer.y < 300, `${name}: the pointer at its server`, WAIT);
    await showsScreen(page, vm, 'the pointer on the canvas');

    await page.close();
    const again = await browser.newPage();
    await again.goto(url);
    await again.waitForSelector('body[data-state="refused"]', { timeout: 120_000 });
    expect(await again.textContent('#status')).toBe(REFUSED);
    await again.close();
    await eventually(() => vm.server.connections() === 0, `${name}: its console session ended`, WAIT);
  }, 300_000);

  /** The README's screenshot is web-01's canvas as it is now (DEMO_SCREENSHOT_UPDATE=1 rewrites it). */
  async function checkScreenshot(page: Page, now: Buffer): Promise<void> {
    if (process.env.DEMO_SCREENSHOT_UPDATE === '1') {
      const png = await page.evaluate(() => document.querySelector<HTMLCanvasElement>('#screen canvas')!.toDataURL('image/png'));
      writeFileSync(SCREENSHOT, Buffer.from(png.slice('data:image/png;base64,'.length), 'base64'));
    }
    expect(existsSync(SCREENSHOT), `${SCREENSHOT} is missing: DEMO_SCREENSHOT_UPDATE=1 npx vitest run test/programs/demo-console.test.ts`).toBe(true);
    const committed = await page.evaluate(async (base64) => {
      const image = new Image();
      image.src = `data:image/png;base64,${base64}`;
      await image.decode();
      const canvas = new OffscreenCanvas(image.width, image.height);
      const context = canvas.getContext('2d')!;
      context.drawImage(image, 0, 0);
      const data = context.getImageData(0, 0, image.width, image.height).data;
      let binary = '';
      for (let at = 0; at < data.length; at += 0x8000) binary += String.fromCharCode(...data.subarray(at, at + 0x8000));
      return btoa(binary);
    }, readFileSync(SCREENSHOT).toString('base64'));
    const same = Buffer.from(committed, 'base64').equals(now);
    expect(same, `${SCREENSHOT} is not web-01's screen as it is now: DEMO_SCREENSHOT_UPDATE=1 npx vitest run test/programs/demo-console.test.ts`).toBe(true);
  }
});
