/**
 * `npm run demo-screens` (and `npm start`, as a part of its own): a VNC server for every powered-on demo
 * VM, on the endpoint the demo inventory names (127.0.0.1:5901…), each drawing that VM's screen.
 * DEMO_SCREEN_CLOCK=<ISO time> stops the screens' clocks at that time (for screenshots).
 * A port already taken (by a real VNC server, or another npm start) is reported and skipped, not fatal.
 */
import { demoScreens } from '../demo-data.js';
import { startRfbServer, type RfbServer } from './rfb.js';
import { DemoScreen } from './screen.js';

const log = (message: string, fields: Record<string, unknown> = {}) => console.log(JSON.stringify({ service: 'demo-screens', message, ...fields }));
const crash = (error: unknown) => {
  log('demo screens crashed', { error: (error as Error)?.message ?? String(error) });
  process.exit(70);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

const frozen = process.env.DEMO_SCREEN_CLOCK ? new Date(process.env.DEMO_SCREEN_CLOCK) : undefined;
if (frozen && Number.isNaN(frozen.getTime())) throw new Error('DEMO_SCREEN_CLOCK must be an ISO date and time');

const servers: RfbServer[] = [];
const screens: DemoScreen[] = [];
const served: string[] = [];
for (const { vnc, ...identity } of demoScreens()) {
  const screen = new DemoScreen(identity, frozen ? { now: () => frozen } : {});
  try {
    servers.push(await startRfbServer(screen, { host: vnc.host, port: vnc.port, log }));
  } catch (error) {
    log('demo screen not served', { vm: identity.name, endpoint: `${vnc.host}:${vnc.port}`, why: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
    continue;
  }
  screen.start();
  screens.push(screen);
  served.push(`${identity.tenantId}/${identity.name} on ${vnc.host}:${vnc.port}`);
}
console.log(`demo screens: ${served.join(', ') || 'none'} (on Node ${process.versions.node})`);
process.send?.({ ready: served.length });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  for (const screen of screens) screen.stop();
  await Promise.all(servers.map((server) => server.close()));
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// Started by `npm start` with an IPC channel: when the supervisor is gone, so are the screens.
process.on('disconnect', () => void stop());
