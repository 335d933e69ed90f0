/**
 * What the browser console tests share: a real VNC server (TigerVNC's Xvnc, its desktop painted with xsetroot),
 * Debian's Chromium (headless, driven by playwright-core) and a look at noVNC's canvas. CI installs them with
 * scripts/install-e2e-deps.sh; `missingBrowserTools` names what is absent so a test can skip and say why.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const XVNC = ['/usr/bin/Xvnc', '/usr/bin/Xtigervnc'].find((path) => existsSync(path));
const XSETROOT = '/usr/bin/xsetroot';
export const missingBrowserTools = [!existsSync(CHROMIUM) && CHROMIUM, !XVNC && 'Xvnc (tigervnc-standalone-server)', !existsSync(XSETROOT) && XSETROOT]
  .filter(Boolean) as string[];

export const SCREEN = { width: 800, height: 600 };
/** The demo VM's desktop colour, painted with xsetroot: what the browser must show. */
export const DESKTOP_RGB = [0x33, 0x66, 0xcc];

export const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

export async function waitForPort(port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
      socket.once('connect', () => socket.destroy());
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Xvnc on a free display, loopback only, no VNC password (the proxy and its ticket are the gate). */
export async function startVncServer(): Promise<{ display: string; port: number; process: ChildProcess }> {
  const port = await freePort();
  let number = 40 + Math.floor(Math.random() * 400);
  while (existsSync(`/tmp/.X11-unix/X${number}`) || existsSync(`/tmp/.X${number}-lock`)) number += 1;
  const display = `:${number}`;
  const xvnc = spawn(
    XVNC!,
    [display, '-geometry', `${SCREEN.width}x${SCREEN.height}`, '-depth', '24', '-rfbport', String(port), '-localhost',
      '-SecurityTypes', 'None', '-AlwaysShared', '-nolisten', 'tcp', '-desktop', 'web-01'],
    { stdio: 'ignore' },
  );
  await waitForPort(port);
  const painted = spawnSync(XSETROOT, ['-display', display, '-solid', '#3366cc']);
  if (painted.status !== 0) throw new Error(`xsetroot failed: ${painted.stderr}`);
  return { display, port, process: xvnc };
}

/** Headless Chromium with a throw-away profile in `profile`. */
export const launchBrowser = (profile: string): Promise<BrowserContext> =>
  chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });

/** The centre pixel and size of noVNC's canvas, once the page is connected. */
export const screenOf = (page: Page) =>
  page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#screen canvas');
    if (!canvas) return undefined;
    const context = canvas.getContext('2d')!;
    const [r, g, b] = context.getImageData(Math.floor(canvas.width / 2), Math.floor(canvas.height / 2), 1, 1).data;
    return { width: canvas.width, height: canvas.height, centre: [r, g, b] };
  });
