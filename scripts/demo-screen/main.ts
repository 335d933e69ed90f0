/**
 * `npm run demo-screens` (and `npm start`, as a part of its own): a VNC server for every powered-on demo
 * VM, on the endpoint the demo inventory names (127.0.0.1:5901…), each drawing that VM's screen; with
 * `--xvnc`, a real Xvnc desktop each instead (./xvnc.ts), and if one of those dies, so does this program.
 * DEMO_SCREEN_CLOCK=<ISO time> stops the drawn screens' clocks at that time (for screenshots).
 * A port already taken (by a real VNC server, or another npm start) is reported and skipped, not fatal.
 */
import { demoScreens } from '../demo-data.js';
import { startRfbServer } from './rfb.js';
import { DemoScreen } from './screen.js';
import { startXvncDesktop } from './xvnc.js';

const log = (message: string, fields: Record<string, unknown> = {}) => console.log(JSON.stringify({ service: 'demo-screens', message, ...fields }));
const crash = (error: unknown) => {
  log('demo screens crashed', { error: (error as Error)?.message ?? String(error) });
  process.exit(70);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

const frozen = process.env.DEMO_SCREEN_CLOCK ? new Date(process.env.DEMO_SCREEN_CLOCK) : undefined;
if (frozen && Number.isNaN(frozen.getTime())) throw new Error('DEMO_SCREEN_CLOCK must be an ISO date and time');

const xvnc = process.argv.includes('--xvnc');
const running: { stop(): Promise<void> }[] = [];
const served: string[] = [];
let stopping = false;
for (const { vnc, ...identity } of demoScreens()) {
  try {
    if (xvnc) {
      const desktop = await startXvncDesktop(identity, vnc);
      running.push(desktop);
      void desktop.exited.then((why) => {
        if (stopping) return;
        log('demo desktop ended', { vm: identity.name, why: `Xvnc ${why}` });
        void stop(1);
      });
    } else {
      const screen = new DemoScreen(identity, frozen ? { now: () => frozen } : {});
      const server = await startRfbServer(screen, { host: vnc.host, port: vnc.port, log });
      screen.start();
      running.push({ stop: () => (screen.stop(), server.close()) });
    }
  } catch (error) {
    log('demo screen not served', { vm: identity.name, endpoint: `${vnc.host}:${vnc.port}`, why: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
    continue;
  }
  served.push(`${identity.tenantId}/${identity.name} on ${vnc.host}:${vnc.port}`);
}
console.log(`demo screens${xvnc ? ' (Xvnc)' : ''}: ${served.join(', ') || 'none'} (on Node ${process.versions.node})`);
process.send?.({ ready: served.length });

async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(running.map((part) => part.stop()));
  process.exit(code);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// Started by `npm start` with an IPC channel: when the supervisor is gone, so are the screens.
process.on('disconnect', () => void stop());
