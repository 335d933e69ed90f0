/**
 * `npm run proxy` (or `tsx proxy/main.ts`): the console proxy as a long-lived process. Configuration is
 * read from the environment (see proxy/config.ts and the README); SIGINT/SIGTERM drain it within a bound (shutdown.ts). Built by
 * `npm run build` into dist/proxy/main.mjs, it runs on plain Node with no node_modules.
 */
import { consoleProxyConfigFromEnv } from './config.js';
import { errorSummary, logger } from './log.js';
import { startConsoleProxy } from './server.js';
import { DEFAULT_GRACE_MS, drainOnSignals } from './shutdown.js';

// Requests cannot get here (every one is answered through proxy/guard.ts); a bug elsewhere can. Node's own
// crash report prints the error's properties, which may hold a request's URL and its ticket: this does not.
const crash = (kind: string) => (error: unknown) => {
  logger.error('console proxy crashed', { kind, error: errorSummary(error) });
  process.exit(70);
};
process.on('uncaughtException', crash('uncaught exception'));
process.on('unhandledRejection', crash('unhandled rejection'));

const config = consoleProxyConfigFromEnv();
const proxy = await startConsoleProxy(config);
console.log(`console proxy on ${proxy.url} (console page: ${proxy.url}/vnc_auto.html?path=%3Ftoken%3D<token>)`);

drainOnSignals(proxy, config.shutdownGraceMs ?? DEFAULT_GRACE_MS);
