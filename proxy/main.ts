/**
 * `npm run proxy` (or `tsx proxy/main.ts`): the console proxy as a long-lived process. Configuration is
 * read from the environment (see proxy/config.ts and the README); SIGINT/SIGTERM drain it gracefully.
 */
import { consoleProxyConfigFromEnv } from './config.js';
import { errorSummary, logger } from './log.js';
import { startConsoleProxy } from './server.js';

// Requests cannot get here (every one is answered through proxy/guard.ts); a bug elsewhere can. Node's own
// crash report prints the error's properties, which may hold a request's URL and its ticket: this does not.
const crash = (kind: string) => (error: unknown) => {
  logger.error('console proxy crashed', { kind, error: errorSummary(error) });
  process.exit(70);
};
process.on('uncaughtException', crash('uncaught exception'));
process.on('unhandledRejection', crash('unhandled rejection'));

const proxy = await startConsoleProxy(consoleProxyConfigFromEnv());
console.log(`console proxy on ${proxy.url} (console page: ${proxy.url}/vnc_auto.html?path=%3Ftoken%3D<token>)`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  logger.info('console proxy stopping', { activeSessions: proxy.activeSessions() });
  await proxy.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// Started by `npm start` with an IPC channel: when the supervisor is gone, so is its proxy.
process.on('disconnect', () => void stop());
