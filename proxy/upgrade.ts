import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { logger, maskSecrets } from './log.js';
import { playbackTokenOf } from './playback/playbacks.js';
import { originAllowed } from './origin.js';
import { parseRequestTarget } from './request-target.js';
import { ticketOf } from './tickets.js';

export interface UpgradeContext {
  wss: WebSocketServer;
  allowedOrigins: string[];
  closing: () => boolean;
  /** The console session the accepted WebSocket is handed to. */
  session: (request: IncomingMessage, ticket: string) => (ws: WebSocket) => void;
  /** The playback the accepted `/playback` WebSocket is handed to. */
  playback: (request: IncomingMessage, token: string) => (ws: WebSocket) => void;
}

/**
 * Accepts a console WebSocket upgrade, or refuses it in plain HTTP: request target (origin-form, else 400),
 * a ticket or playback route (else 404), the origin (exact, fail closed, before the upgrade), the proxy not closing.
 */
export function answerUpgrade(context: UpgradeContext, request: IncomingMessage, socket: Duplex, head: Buffer): void {
  // Node leaves an upgraded socket without an error listener: a reset would otherwise be thrown.
  socket.on('error', () => socket.destroy());
  const target = parseRequestTarget(request.url);
  if (!target) return refuseUpgrade(socket, 400, 'Bad Request');
  const ticket = ticketOf(target);
  const playbackToken = playbackTokenOf(target);
  if (ticket === undefined && playbackToken === undefined) return refuseUpgrade(socket, 404, 'Not Found');
  if (!originAllowed(request, context.allowedOrigins)) {
    logger.warn('console refused', { reason: 'origin', origin: maskSecrets(request.headers.origin ?? 'none').slice(0, 200) });
    return refuseUpgrade(socket, 403, 'Forbidden');
  }
  if (context.closing()) return refuseUpgrade(socket, 503, 'Service Unavailable');
  const accepted = playbackToken !== undefined ? context.playback(request, playbackToken) : context.session(request, ticket!);
  context.wss.handleUpgrade(request, socket, head, accepted);
}

/** CONNECT (authority-form): Node would drop the connection without a word. */
export function refuseConnect(_request: IncomingMessage, socket: Duplex): void {
  socket.on('error', () => socket.destroy());
  refuseUpgrade(socket, 400, 'Bad Request');
}

export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  else socket.destroy();
}
