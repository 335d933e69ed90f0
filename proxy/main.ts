/**
 * `npm run proxy` (or `tsx proxy/main.ts`): the console proxy as a long-lived process. Configuration is
 * read from the environment (see proxy/config.ts and the README); SIGINT/SIGTERM drain it gracefully.
 */
import { consoleProxyConfigFromEnv } from './config.js';
import { logger } from './log.js';
import { startConsoleProxy } from './server.js';

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
