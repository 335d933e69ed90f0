import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { ConsoleTarget } from '../lib/protocol/console-proxy.js';
import { ApiUnavailable, consoleBrokerApi, type ConsoleBrokerApi } from './api.js';
import { bridge, Close, closeConsole } from './bridge.js';
import type { ConsoleProxyConfig } from './config.js';
import { guarded } from './guard.js';
import { errorSummary, logger, maskSecrets } from './log.js';
import { originAllowed } from './origin.js';
import { parseRequestTarget } from './request-target.js';
import { send, serveStatic } from './static.js';
import { claimedTenant, ticketFingerprint, ticketOf } from './tickets.js';

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
  tenantShare: "Your organization's share of this console proxy's sessions is in use; try again later.",
  internal: 'The console proxy failed; try again later.',
  api: 'The console service is unavailable; try again later.',
  vnc: "The virtual machine's console cannot be reached.",
  shutdown: 'The console proxy is shutting down.',
} as const;

/**
 * The console proxy: serves the browser console page and bridges console WebSockets to VMs' VNC
 * endpoints. Per connection: request target (origin-form, else 400) → origin check (exact, fail closed,
 * before the upgrade) → capacity and the tenant's share → one-time redemption through the API → TCP to the
 * VM → bridge → audit record through the API. Nothing reaches the VM until the ticket has been redeemed.
 */
export async function startConsoleProxy(
  config: ConsoleProxyConfig,
  api: ConsoleBrokerApi = consoleBrokerApi({ baseUrl: config.apiBaseUrl, apiKey: config.apiKey, timeoutMs: config.apiTimeoutMs }),
): Promise<ConsoleProxy> {
  const sessions = new Set<(code: number, reason: string) => void>();
  const tenantSessions = tally();
  const audits = new Set<Promise<void>>();
  let closing = false;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxMessageBytes,
    perMessageDeflate: false,
    // noVNC asks for no subprotocol; WEBMKS clients ask for `binary`. Text (`base64`) is not spoken.
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
  });

  // Every way a client reaches the proxy goes through one guard, so no input can end the process.
  const server: Server = createServer();
  server.on('request', guarded('request', answerRequest, (_request, response) => failRequest(response)));
  server.on('upgrade', guarded('upgrade', answerUpgrade, (_request, socket) => refuseUpgrade(socket, 500, 'Internal Server Error')));
  // CONNECT (authority-form): Node would drop the connection without a word.
  server.on('connect', guarded('connect', refuseConnect, (_request, socket) => socket.destroy()));

  function answerRequest(request: IncomingMessage, response: ServerResponse): Promise<void> | void {
    const target = parseRequestTarget(request.url);
    if (!target) return send(response, 400, 'Bad Request');
    return serveStatic(target, request, response, () => sessions.size);
  }

  function refuseConnect(_request: IncomingMessage, socket: Duplex): void {
    socket.on('error', () => socket.destroy());
    refuseUpgrade(socket, 400, 'Bad Request');
  }

  function answerUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node leaves an upgraded socket without an error listener: a reset would otherwise be thrown.
    socket.on('error', () => socket.destroy());
    const target = parseRequestTarget(request.url);
    if (!target) return refuseUpgrade(socket, 400, 'Bad Request');
    const ticket = ticketOf(target);
    if (ticket === undefined) return refuseUpgrade(socket, 404, 'Not Found');
    if (!originAllowed(request, config.allowedOrigins)) {
      logger.warn('console refused', { reason: 'origin', origin: maskSecrets(request.headers.origin ?? 'none').slice(0, 200) });
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    if (closing) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(request, socket, head, consoleSession(request, ticket));
  }

  const consoleSession = (request: IncomingMessage, ticket: string) =>
    guarded(
      'console session',
      (ws: WebSocket) => openConsole(ws, request, ticket),
      (ws) => closeConsole(ws, Close.internal, Refusal.internal),
    );

  async function openConsole(ws: WebSocket, request: IncomingMessage, ticket: string): Promise<void> {
    // Read nothing from the browser until the bridge exists: the VM gets no byte before redemption.
    ws.pause();
    ws.on('error', () => undefined); // the bridge listens from its start; until then a close says enough
    const clientAddress = request.socket.remoteAddress;
    if (!ticket) return refuse(ws, Close.policy, Refusal.noTicket, 'no ticket');
    const ticketId = ticketFingerprint(ticket);
    // Counted before redeeming, so a browser refused for capacity keeps its ticket. The tenant a ticket
    // claims is checked here for the same reason; the tenant the API redeems it for is checked after.
    if (sessions.size >= config.maxSessions) return refuse(ws, Close.tryAgainLater, Refusal.capacity, 'capacity', ticketId);
    const claimed = claimedTenant(ticket);
    if (claimed !== undefined && tenantSessions.count(claimed) >= config.maxSessionsPerTenant) {
      return refuse(ws, Close.tryAgainLater, Refusal.tenantShare, 'tenant share', ticketId, claimed);
    }
    let endSession: (code: number, reason: string) => void = (code, reason) => closeConsole(ws, code, reason);
    const slot = (code: number, reason: string) => endSession(code, reason);
    sessions.add(slot);
    let tenant: string | undefined;
    try {
      const target = await redeem(ticket);
      if (!target) return refuse(ws, Close.policy, Refusal.ticket, 'ticket', ticketId);
      if (ws.readyState !== WebSocket.OPEN) return; // the browser left (or the proxy closed) meanwhile
      // Concurrent redemptions of one tenant can pass the claim check together: the tally is what counts.
      if (!tenantSessions.take(target.tenantId, config.maxSessionsPerTenant)) {
        return refuse(ws, Close.tryAgainLater, Refusal.tenantShare, 'tenant share', ticketId, target.tenantId);
      }
      tenant = target.tenantId;
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
      if (tenant !== undefined) tenantSessions.release(tenant);
    }

    async function redeem(presented: string): Promise<ConsoleTarget | undefined | null> {
      try {
        const target = await api.redeemTicket(presented);
        // Defence in depth: the API keys tickets by the tenant they name, so this cannot differ.
        return target && target.tenantId === claimedTenant(presented) ? target : undefined;
      } catch (error) {
        logger.error('ticket redemption failed', { ticket: ticketId, error: errorSummary(error).message });
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

  function refuse(ws: WebSocket, code: number, message: string, reason: string, ticket?: string, tenant?: string): void {
    if (reason !== 'api unavailable') logger.warn('console refused', { reason, ...(ticket ? { ticket } : {}), ...(tenant ? { tenant } : {}) });
    closeConsole(ws, code, message);
  }

  async function recordSession(report: Parameters<ConsoleBrokerApi['recordSession']>[0]): Promise<void> {
    // Retried: the API stores the report once per session id, so a repeat after a lost answer is harmless.
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      try {
        return await api.recordSession(report);
      } catch (error) {
        if (attempt === 3 || !(error instanceof ApiUnavailable)) {
          logger.error('audit record lost', { session: report.sessionId, error: errorSummary(error).message });
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
  logger.info('console proxy listening', {
    host: address.address,
    port: address.port,
    api: config.apiBaseUrl,
    nodeVersion: process.versions.node,
  });

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
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  else socket.destroy();
}

function failRequest(response: ServerResponse): void {
  if (response.headersSent) return void response.destroy();
  send(response, 500, 'Internal Server Error');
}

/** Sessions per tenant: `take` counts one more unless the tenant already has `limit`. */
function tally() {
  const counts = new Map<string, number>();
  return {
    count: (tenant: string) => counts.get(tenant) ?? 0,
    take(tenant: string, limit: number): boolean {
      const count = counts.get(tenant) ?? 0;
      if (count >= limit) return false;
      counts.set(tenant, count + 1);
      return true;
    },
    release(tenant: string): void {
      const count = (counts.get(tenant) ?? 1) - 1;
      if (count > 0) counts.set(tenant, count);
      else counts.delete(tenant);
    },
  };
}
