import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import WebSocket, { type WebSocketServer } from 'ws';
import { Close } from './bridge.js';
import type { ConsoleSessions } from './capacity.js';
import { logger } from './log.js';
import { Refusal } from './refusals.js';

/**
 * How long `close()` waits for consoles to close and audit records to land when its caller names no bound. The
 * process itself uses CONSOLE_PROXY_SHUTDOWN_SECONDS (10 s unless set; config.ts).
 */
export const DEFAULT_GRACE_MS = 60_000;

/** How long the drain waits for the close frames of consoles it told to go away (within the grace). */
const HANDSHAKE_MS = 5_000;

export interface DrainResult {
  /** Console WebSockets told to go away. */
  told: number;
  /** Those still open when the wait ran out, cut off without a close handshake. */
  cutOff: number;
  /** Audit records still on their way when the grace ran out (lost). */
  auditsLost: number;
}

/**
 * A rolling deploy's end of a proxy: stop accepting (the listener closes, upgrades in flight get 503), tell
 * every open console why (1001 and Refusal.shutdown, which the console page shows), and wait for the sessions'
 * audit records (at most `graceMs`) and the close handshakes (at most 5 s of it). Then cut off what is left.
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
  // The consoles told now; one closing already (refused, ended) was told before and is not waited for.
  const told = [...wss.clients].filter((client) => client.readyState === WebSocket.OPEN);
  for (const end of sessions.live) end(Close.goingAway, Refusal.shutdown);
  server.closeIdleConnections();
  // A browser answers a close frame at once; a client that never does is not waited for beyond HANDSHAKE_MS.
  const handshakeDeadline = Math.min(deadline, Date.now() + HANDSHAKE_MS);
  const busy = () =>
    sessions.live.size > 0 || sessions.audits.size > 0
      ? Date.now() < deadline
      : told.some((client) => client.readyState !== WebSocket.CLOSED) && Date.now() < handshakeDeadline;
  while (busy()) {
    await Promise.race([Promise.allSettled([...sessions.audits]), new Promise((resolve) => setTimeout(resolve, 20))]);
  }
  const cutOff = told.filter((client) => client.readyState !== WebSocket.CLOSED).length;
  for (const client of wss.clients) client.terminate();
  server.closeAllConnections();
  await stopped;
  return { told: told.length, cutOff, auditsLost: sessions.audits.size };
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
