/**
 * The shipped console proxy: `npm run build`'s artefact (scripts/build.ts) copied outside the repository, where
 * no node_modules can be found, run by plain Node, opened in Chromium (noVNC served from the artefact) against
 * a real VNC server and the real API over HTTP; then SIGTERM with the console open: the page is told why
 * (1001 and the reason it shows), the session's audit record lands, the process exits 0 within its bound.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listConsoleSessions } from '../../lib/core/audit.js';
import { Refusal } from '../../proxy/refusals.js';
import { buildProxy } from '../../scripts/build.js';
import { DEMO_CONSOLE_PROXY_KEY } from '../../scripts/demo-data.js';
import { api, basic, OPERATOR } from '../support/api.js';
import { DESKTOP_RGB, freePort, launchBrowser, missingBrowserTools as missing, SCREEN, screenOf, startVncServer, waitForPort } from '../support/browser-console.js';
import { createTenant, createVm } from '../support/console-fixtures.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';
import { eventually } from '../support/wait.js';
import type { VmRecord } from '../../lib/records.js';

if (missing.length) console.warn(`proxy-artefact skipped: ${missing.join(', ')} not installed; run scripts/install-e2e-deps.sh`);

const filesOf = (dir: string) => (readdirSync(dir, { recursive: true }) as string[]).sort();

const today = () => [new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), new Date().toISOString().slice(0, 10)] as const;

/** The artefact as a process of its own: plain Node, a clean environment, its JSON log kept. */
function runArtefact(dir: string, env: Record<string, string>) {
  const log: string[] = [];
  const child: ChildProcess = spawn(process.execPath, ['main.mjs'], {
    cwd: dir,
    env: { PATH: '/usr/bin:/bin', HOME: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const entries = () =>
    log.join('').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { child, exited, log, entries };
}

describe.skipIf(missing.length > 0)('the built console proxy, outside the repository', () => {
  let work: string;
  let artefact: string;
  let vnc: Awaited<ReturnType<typeof startVncServer>>;
  let apiServer: ApiServer;
  let proxy: ReturnType<typeof runArtefact>;
  let browser: BrowserContext;
  let vm: VmRecord;
  let origin: string;
  let metricsPort: number;
  let shipped: string[] = [];
  const savedBaseUrl = process.env.CONSOLE_PROXY_BASE_URL;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'console-proxy-artefact-'));
    ({ outDir: artefact } = await buildProxy(join(work, 'proxy')));
    vnc = await startVncServer();
    apiServer = await startApiServer();
    const port = await freePort();
    metricsPort = await freePort();
    origin = `http://127.0.0.1:${port}`;
    process.env.CONSOLE_PROXY_BASE_URL = origin;
    proxy = runArtefact(artefact, {
      CONSOLE_PROXY_KEY: DEMO_CONSOLE_PROXY_KEY,
      CONSOLE_BROKER_API_URL: apiServer.url,
      CONSOLE_PROXY_BASE_URL: origin,
      CONSOLE_PROXY_METRICS_PORT: String(metricsPort),
      // Generous, for a busy machine: the log says whether anything had to be cut off.
      CONSOLE_PROXY_SHUTDOWN_SECONDS: '60',
    });
    await waitForPort(port, 120_000);
    vm = await createVm(await createTenant('ship'), 'vm-201', vnc.port);
    const user = await api('PUT', `/operator/v1/tenants/${vm.tenantId}/users/admin@${vm.tenantId}`, {
      headers: OPERATOR,
      body: { password: 'ship-admin-pass', privileges: ['VirtualMachine.Interact.ConsoleInteract'] },
    });
    expect(user.status).toBe(200);
    browser = await launchBrowser(join(work, 'chromium'));
  });

  afterAll(async () => {
    await browser?.close();
    if (proxy && proxy.child.exitCode === null) proxy.child.kill('SIGKILL');
    await apiServer?.close();
    vnc?.process.kill('SIGTERM');
    if (work) rmSync(work, { recursive: true, force: true });
    if (savedBaseUrl === undefined) delete process.env.CONSOLE_PROXY_BASE_URL;
    else process.env.CONSOLE_PROXY_BASE_URL = savedBaseUrl;
  });

  it('is one bundle with its static files and no node_modules anywhere above it', () => {
    shipped = filesOf(artefact);
    expect(existsSync(join(artefact, 'main.mjs'))).toBe(true);
    expect(existsSync(join(artefact, 'public/console.html'))).toBe(true);
    for (const file of ['playback.html', 'playback.js', 'playback-player.js', 'playback.css']) expect(existsSync(join(artefact, 'public', file)), file).toBe(true);
    expect(existsSync(join(artefact, 'novnc/core/rfb.js'))).toBe(true);
    for (let dir = artefact; dir !== '/'; dir = join(dir, '..')) expect(existsSync(join(dir, 'node_modules'))).toBe(false);
  });

  it('opens a console in Chromium, then drains on SIGTERM: 1001 and a reason on the page, the audit record, exit 0', async () => {
    const login = await api('POST', '/api/session', { headers: basic(`admin@${vm.tenantId}`, 'ship-admin-pass') });
    const created = await api('POST', `/compute/v2.1/servers/${vm.instanceUuid}/remote-consoles`, {
      headers: { 'x-auth-token': login.body as string, 'x-openstack-nova-api-version': '2.6' },
      body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
    });
    expect(created.status).toBe(200);
    const url: string = created.body.remote_console.url;
    expect(url.startsWith(`${origin}/vnc_auto.html?path=%3Ftoken%3D`)).toBe(true);

    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 60_000 });
    await expect.poll(() => screenOf(page), { timeout: 60_000 }).toEqual({ ...SCREEN, centre: DESKTOP_RGB });
    expect(await page.textContent('#status')).toBe('Connected to web-01');

    // Its metrics, on their own port: the open console, its redemption, the screen's bytes.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('\nconsole_proxy_sessions_open 1\n');
    expect(metrics).toContain('\nconsole_proxy_redemptions_total{outcome="valid"} 1\n');
    expect(Number(/console_proxy_bytes_total\{direction="from_vm"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(12);
    // The playback page (issue 27) ships and is served by the bundle too.
    for (const file of ['/playback.html', '/playback.js', '/playback-player.js', '/playback.css']) expect((await fetch(`${origin}${file}`)).status, file).toBe(200);

    proxy.child.kill('SIGTERM');
    await page.waitForSelector('body[data-state="disconnected"]', { timeout: 60_000 });
    expect(await page.getAttribute('body', 'data-close-code')).toBe('1001');
    expect(await page.textContent('#status')).toBe(Refusal.shutdown);
    expect(await proxy.exited).toEqual({ code: 0, signal: null });
    // It wrote nothing beside itself (a read-only root filesystem works) and logged no ticket.
    expect(filesOf(artefact)).toEqual(shipped);
    expect(proxy.log.join('')).not.toContain(decodeURIComponent(url.split('token%3D')[1]!));
    const stopped = proxy.entries().find((entry) => String(entry.message).startsWith('console proxy stopped'));
    expect(stopped).toMatchObject({ told: 1, auditsLost: 0 });
    const records = await eventually(async () => {
      const found = await listConsoleSessions(vm.tenantId, ...today());
      return found.length > 0 && found;
    }, 'the audit record of the drained session');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ vmMoId: 'vm-201', consoleType: 'novnc', endReason: Refusal.shutdown });
    await page.close();
  });
});
