import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { WebSocketServer } from 'ws';
import { Close } from './bridge.js';
import type { ConsoleSessions } from './capacity.js';
import { logger } from './log.js';
import { Refusal } from './refusals.js';

/**
 * How long `close()` waits for consoles to close and audit records to land when its caller names no bound. The
 * process itself uses CONSOLE_PROXY_SHUTDOWN_SECONDS (10 s unless set; config.ts).
 */
export const DEFAULT_GRACE_MS = 60_000;

export interface DrainResult {
  /** Console WebSockets told to go away. */
  told: number;
  /** Those still open when the grace ran out, cut off without a close handshake. */
  cutOff: number;
  /** Audit records still on their way when the grace ran out (lost). */
  auditsLost: number;
}

/**
 * A rolling deploy's end of a proxy: stop accepting (the listener closes, upgrades in flight get 503), tell
 * every open console why (1001 and Refusal.shutdown, which the console page shows), and wait for the close
 * handshakes and the sessions' audit records, at most `graceMs`. Then cut off what is left.
 */
export async function drain({ server, wss, sessions, graceMs, stopAccepting }: {
  server: Server | HttpsServer;
  wss: WebSocketServer;
  sessions: ConsoleSessions;
  graceMs: number;
  stopAccepting: () => void;
}): Promise<DrainResult> {
  stopAccepting();
  const deadline = Date.now() + graceMs;
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  const told = wss.clients.size;
  for (const end of sessions.live) end(Close.goingAway, Refusal.shutdown);
  server.closeIdleConnections();
  const busy = () => wss.clients.size > 0 || sessions.live.size > 0 || sessions.audits.size > 0;
  while (busy() && Date.now() < deadline) {
    await Promise.race([Promise.allSettled([...sessions.audits]), new Promise((resolve) => setTimeout(resolve, 20))]);
  }
  const cutOff = wss.clients.size;
  for (const client of wss.clients) client.terminate();
  server.closeAllConnections();
  await stopped;
  return { told, cutOff, auditsLost: sessions.audits.size };
}

/**
 * SIGTERM (what ECS, systemd and Kubernetes send) and SIGINT drain the proxy once, within `graceMs`, and exit 0;
 * so does the supervisor going away (`npm start` runs the proxy with an IPC channel).
 */
export function drainOnSignals(proxy: { close(graceMs?: number): Promise<DrainResult>; activeSessions(): number }, graceMs: number): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('console proxy stopping', { signal, activeSessions: proxy.activeSessions(), graceMs });
    const result = await proxy.close(graceMs);
    if (result.cutOff || result.auditsLost) logger.warn('console proxy stopped with work cut off', { ...result });
    else logger.info('console proxy stopped', { ...result });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('disconnect', () => void stop('supervisor gone'));
}
