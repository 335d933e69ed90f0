/**
 * End to end: a real VNC server (TigerVNC's Xvnc) as a demo VM's console, the real API over HTTP, the
 * console proxy, and Debian's Chromium (headless, driven by playwright-core) opening the Nova console URL.
 * CI installs Xvnc, xsetroot and Chromium with scripts/install-e2e-deps.sh (test/support/browser-console.ts);
 * where they are absent this test skips itself and says why (the bridge itself is covered by proxy-bridge.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../lib/config.js';
import { listConsoleSessions } from '../../lib/core/audit.js';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { api, basic, OPERATOR } from '../support/api.js';
import { DESKTOP_RGB, freePort, launchBrowser, missingBrowserTools as missing, SCREEN, screenOf, startVncServer } from '../support/browser-console.js';
import { createTenant, createVm, proxyConfig } from '../support/console-fixtures.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';
import type { VmRecord } from '../../lib/records.js';

/** The UTC days a console session started just now falls on (yesterday too, for a test running at midnight). */
const recentDays = () => [new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), new Date().toISOString().slice(0, 10)] as const;

if (missing.length) console.warn(`proxy-e2e skipped: ${missing.join(', ')} not installed; run scripts/install-e2e-deps.sh`);

describe.skipIf(missing.length > 0)('browser console end to end', () => {
  let vnc: Awaited<ReturnType<typeof startVncServer>>;
  let apiServer: ApiServer;
  let proxy: ConsoleProxy;
  let browser: BrowserContext;
  let profile: string;
  let vm: VmRecord;
  const savedBaseUrl = process.env.CONSOLE_PROXY_BASE_URL;

  beforeAll(async () => {
    vnc = await startVncServer();
    apiServer = await startApiServer();
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    // The API's Nova console URLs point at this proxy, as CONSOLE_PROXY_BASE_URL does in a deployment.
    process.env.CONSOLE_PROXY_BASE_URL = origin;
    proxy = await startConsoleProxy(proxyConfig(apiServer.url, { port, allowedOrigins: [origin] }));
    vm = await createVm(await createTenant('e2e'), 'vm-101', vnc.port);
    const user = await api('PUT', `/operator/v1/tenants/${vm.tenantId}/users/admin@${vm.tenantId}`, {
      headers: OPERATOR,
      body: { password: 'e2e-admin-pass', privileges: ['VirtualMachine.Interact.ConsoleInteract'] },
    });
    expect(user.status).toBe(200);
    profile = mkdtempSync(join(tmpdir(), 'console-e2e-chromium-'));
    browser = await launchBrowser(profile);
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await apiServer?.close();
    vnc?.process.kill('SIGTERM');
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (savedBaseUrl === undefined) delete process.env.CONSOLE_PROXY_BASE_URL;
    else process.env.CONSOLE_PROXY_BASE_URL = savedBaseUrl;
  });

  it('opens the Nova console URL, shows the remote screen, and refuses the same URL a second time', async () => {
    // The console URL, as a Nova client gets it: a Keystone-style token (a session), then remote-consoles.
    const login = await api('POST', '/api/session', { headers: basic(`admin@${vm.tenantId}`, 'e2e-admin-pass') });
    const created = await api('POST', `/compute/v2.1/servers/${vm.instanceUuid}/remote-consoles`, {
      headers: { 'x-auth-token': login.body as string, 'x-openstack-nova-api-version': '2.6' },
      body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
    });
    expect(created.status).toBe(200);
    const url: string = created.body.remote_console.url;
    expect(url.startsWith(`${config.consoleProxyBaseUrl()}/vnc_auto.html?path=%3Ftoken%3D`)).toBe(true);

    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 60_000 });
    await expect.poll(() => screenOf(page), { timeout: 60_000 }).toEqual({ ...SCREEN, centre: DESKTOP_RGB });
    expect(await page.textContent('#status')).toBe('Connected to web-01');
    // The ticket is gone from the address bar once read.
    expect(page.url()).toBe(`${config.consoleProxyBaseUrl()}/vnc_auto.html`);
    await page.keyboard.type('ls\n');

    const again = await browser.newPage();
    await again.goto(url);
    await again.waitForSelector('body[data-state="refused"]', { timeout: 60_000 });
    expect(await again.textContent('#status')).toBe('The console ticket is not valid: it is unknown, expired or already used.');

    await page.close();
    await again.close();
    await expect.poll(() => listConsoleSessions(vm.tenantId, ...recentDays()), { timeout: 60_000 }).toHaveLength(1);
    const [record] = await listConsoleSessions(vm.tenantId, ...recentDays());
    expect(record).toMatchObject({ vmMoId: 'vm-101', consoleType: 'novnc', principal: `admin@${vm.tenantId}`, endReason: 'client closed' });
    // Both ways counted: beyond the handshake, the (well-compressed, one-colour) screen came through, and
    // noVNC's encodings, update requests and the typed keys (8 bytes per key event) went back.
    expect(record!.bytesFromVm).toBeGreaterThan(12 + 24 + 'web-01'.length);
    expect(record!.bytesToVm).toBeGreaterThan(12 + 1 + 1 + 6 * 8);
  });
});
