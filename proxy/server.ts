import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { ApiUnavailable, consoleBrokerApi, type ConsoleBrokerApi, type ConsoleTarget } from './api.js';
import { bridge, Close, closeConsole } from './bridge.js';
import type { ConsoleProxyConfig } from './config.js';
import { logger } from './log.js';
import { originAllowed } from './origin.js';
import { serveStatic } from './static.js';
import { claimedTenant, ticketFingerprint, ticketFromRequestUrl } from './tickets.js';

export interface ConsoleProxy {
  /** `http://host:port` the proxy listens on. */
  url: string;
  port: number;
  /** Sessions being set up or bridged right now. */
  activeSessions(): number;
  /** Stops accepting, ends every session (1001) and waits for their audit records. */
  close(): Promise<void>;
}

/** The messages a refused browser sees as the WebSocket close reason (and the console page shows). */
const Refusal = {
  noTicket: 'No console ticket was presented.',
  ticket: 'The console ticket is not valid: it is unknown, expired or already used.',
  capacity: 'The console proxy is at capacity; try again later.',
  api: 'The console service is unavailable; try again later.',
  vnc: "The virtual machine's console cannot be reached.",
  shutdown: 'The console proxy is shutting down.',
} as const;

/**
 * The console proxy: serves the browser console page and bridges console WebSockets to VMs' VNC
 * endpoints. Per connection: origin check (fail closed, before the upgrade) → capacity → one-time
 * redemption through the API → TCP to the VM → bridge → audit record through the API. Nothing reaches
 * the VM until the ticket has been redeemed.
 */
export async function startConsoleProxy(
  config: ConsoleProxyConfig,
  api: ConsoleBrokerApi = consoleBrokerApi({ baseUrl: config.apiBaseUrl, apiKey: config.apiKey, timeoutMs: config.apiTimeoutMs }),
): Promise<ConsoleProxy> {
  const sessions = new Set<(code: number, reason: string) => void>();
  const audits = new Set<Promise<void>>();
  let closing = false;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxMessageBytes,
    perMessageDeflate: false,
    // noVNC asks for no subprotocol; WEBMKS clients ask for `binary`. Text (`base64`) is not spoken.
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
  });

  const server: Server = createServer((request, response) => serveStatic(request, response, () => sessions.size));
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const ticket = ticketFromRequestUrl(request.url);
    if (ticket === undefined) return refuseUpgrade(socket, 404, 'Not Found');
    if (!originAllowed(request, config.allowedOrigins)) {
      logger.warn('console refused', { reason: 'origin', origin: request.headers.origin ?? null });
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    if (closing) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(request, socket, head, (ws) => void openConsole(ws, request, ticket));
  });

  async function openConsole(ws: WebSocket, request: IncomingMessage, ticket: string): Promise<void> {
    // Read nothing from the browser until the bridge exists: the VM gets no byte before redemption.
    ws.pause();
    const clientAddress = request.socket.remoteAddress;
    if (!ticket) return refuse(ws, Close.policy, Refusal.noTicket, 'no ticket');
    const ticketId = ticketFingerprint(ticket);
    // Counted before redeeming, so a refused-for-capacity browser keeps its ticket.
    if (sessions.size >= config.maxSessions) return refuse(ws, Close.tryAgainLater, Refusal.capacity, 'capacity', ticketId);
    let endSession: (code: number, reason: string) => void = (code, reason) => closeConsole(ws, code, reason);
    const slot = (code: number, reason: string) => endSession(code, reason);
    sessions.add(slot);
    try {
      const target = await redeem(ticket);
      if (!target) return refuse(ws, Close.policy, Refusal.ticket, 'ticket', ticketId);
      if (ws.readyState !== WebSocket.OPEN) return; // the browser left (or the proxy closed) meanwhile
      const vnc = await connectVnc(target);
      if (!vnc) return refuse(ws, Close.internal, Refusal.vnc, 'vnc unreachable', ticketId);
      if (ws.readyState !== WebSocket.OPEN) return void vnc.destroy();

      const sessionId = randomUUID();
      const startedAt = new Date().toISOString();
      const who = { session: sessionId, ticket: ticketId, tenant: target.tenantId, vm: target.vmMoId, principal: target.issuedTo };
      logger.info('console session started', who);
      const bridged = bridge(ws, vnc, config);
      endSession = bridged.end;
      const result = await bridged.done;
      logger.info('console session ended', { ...who, bytesToVm: result.bytesToVm, bytesFromVm: result.bytesFromVm, endReason: result.endReason });
      const audit = recordSession({
        sessionId,
        tenantId: target.tenantId,
        vmMoId: target.vmMoId,
        instanceUuid: target.instanceUuid,
        consoleType: target.consoleType,
        principal: target.issuedTo,
        ticketFingerprint: ticketId,
        startedAt,
        endedAt: new Date().toISOString(),
        ...result,
        ...(clientAddress ? { clientAddress } : {}),
      });
      audits.add(audit);
      void audit.finally(() => audits.delete(audit));
    } finally {
      sessions.delete(slot);
    }

    async function redeem(presented: string): Promise<ConsoleTarget | undefined | null> {
      try {
        const target = await api.redeemTicket(presented);
        // Defence in depth: the API keys tickets by the tenant they name, so this cannot differ.
        return target && target.tenantId === claimedTenant(presented) ? target : undefined;
      } catch (error) {
        logger.error('ticket redemption failed', { ticket: ticketId, error: (error as Error).message });
        refuse(ws, Close.internal, Refusal.api, 'api unavailable', ticketId);
        return null;
      }
    }
  }

  function connectVnc(target: ConsoleTarget): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: target.vnc.host, port: target.vnc.port, noDelay: true });
      const fail = () => {
        socket.destroy();
        resolve(undefined);
      };
      socket.setTimeout(config.vncConnectTimeoutMs, fail);
      socket.once('error', fail);
      socket.once('connect', () => {
        socket.setTimeout(0);
        socket.off('error', fail);
        resolve(socket);
      });
    });
  }

  function refuse(ws: WebSocket, code: number, message: string, reason: string, ticket?: string): void {
    if (reason !== 'api unavailable') logger.warn('console refused', { reason, ...(ticket ? { ticket } : {}) });
    closeConsole(ws, code, message);
  }

  async function recordSession(report: Parameters<ConsoleBrokerApi['recordSession']>[0]): Promise<void> {
    // Retried: the API stores the report once per session id, so a repeat after a lost answer is harmless.
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      try {
        return await api.recordSession(report);
      } catch (error) {
        if (attempt === 3 || !(error instanceof ApiUnavailable)) {
          logger.error('audit record lost', { session: report.sessionId, error: (error as Error).message });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as { port: number; address: string };
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  logger.info('console proxy listening', { host: address.address, port: address.port, api: config.apiBaseUrl });

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    activeSessions: () => sessions.size,
    async close() {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const end of sessions) end(Close.goingAway, Refusal.shutdown);
      server.closeAllConnections();
      while (sessions.size > 0 || audits.size > 0) {
        await Promise.allSettled([...audits]);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      for (const client of wss.clients) client.terminate();
      await stopped;
    },
  };
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
