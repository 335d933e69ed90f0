/**
 * `npm start -- --xvnc`: a real X desktop (TigerVNC's Xvnc) for a demo VM instead of the drawn screen, on the
 * same VNC endpoint, named after the VM and painted in its colour (xsetroot). Loopback only, security None:
 * the proxy and its one-time ticket are the gate, as for the drawn screens.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { ScreenIdentity } from './screen.js';

export const XVNC = ['/usr/bin/Xvnc', '/usr/bin/Xtigervnc'].find((path) => existsSync(path));
const XSETROOT = '/usr/bin/xsetroot';

export interface XvncDesktop {
  process: ChildProcess;
  /** Settles with why Xvnc ended. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/** Starts Xvnc on `port`; rejects (saying why) when the port is taken or Xvnc does not come up. */
export async function startXvncDesktop(identity: ScreenIdentity, { host, port }: { host: string; port: number }): Promise<XvncDesktop> {
  if (!XVNC) throw new Error('Xvnc is not installed (scripts/install-e2e-deps.sh installs tigervnc-standalone-server)');
  if (host !== '127.0.0.1') throw new Error(`Xvnc listens on loopback only, not ${host}`);
  // Xvnc would find the port taken only after it started; ask first, so that its answer is our own.
  await new Promise<void>((resolve, reject) => {
    const probe = createServer().once('error', (error) => reject(error));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
  let display = port - 5900 > 0 && port - 5900 < 100 ? port - 5900 : 100;
  while (existsSync(`/tmp/.X11-unix/X${display}`) || existsSync(`/tmp/.X${display}-lock`)) display += 1;
  const child = spawn(
    XVNC,
    [`:${display}`, '-geometry', '800x600', '-depth', '24', '-rfbport', String(port), '-localhost', '-SecurityTypes', 'None',
      '-AlwaysShared', '-nolisten', 'tcp', '-desktop', identity.name],
    { stdio: 'ignore' },
  );
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with code ${code}`));
    child.once('error', (error) => resolve(`could not be started: ${error.message}`));
  });
  // If this program ends without stopping it (a crash), Xvnc must not outlive it.
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  void exited.then(() => process.off('exit', orphaned));
  let gone: string | undefined;
  void exited.then((why) => (gone = why));
  const deadline = Date.now() + 60_000;
  while (!(await accepts(host, port))) {
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Xvnc ${gone ?? 'did not listen within a minute'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (existsSync(XSETROOT)) spawnSync(XSETROOT, ['-display', `:${display}`, '-solid', identity.band], { stdio: 'ignore', timeout: 30_000 });
  return {
    process: child,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, host, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
