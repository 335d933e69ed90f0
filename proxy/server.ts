import { createServer, type Server, type ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';
import { consoleBrokerApi, type ConsoleBrokerApi } from './api.js';
import { Close } from './bridge.js';
import { consoleSessions } from './capacity.js';
import type { ConsoleProxyConfig } from './config.js';
import { guarded } from './guard.js';
import { LiveConsoles } from './live-consoles.js';
import { OrderChannel } from './orders.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { logger } from './log.js';
import { Refusal } from './refusals.js';
import { parseRequestTarget } from './request-target.js';
import { consoleSession, type SessionContext } from './session.js';
import { send, serveStatic } from './static.js';
import { answerUpgrade, refuseConnect, refuseUpgrade, type UpgradeContext } from './upgrade.js';

export interface ConsoleProxy {
  /** `http://host:port` the proxy listens on. */
  url: string;
  port: number;
  /** Sessions being set up or bridged right now. */
  activeSessions(): number;
  /** Resolves once the order channel is open (at once when there is none). */
  ordersReady(): Promise<void>;
  /** Stops accepting, ends every session (1001) and waits for their audit records. */
  close(): Promise<void>;
}

/**
 * The console proxy: serves the browser console page and bridges console WebSockets to VMs' VNC
 * endpoints. Per connection: accept the upgrade (upgrade.ts) → capacity and the tenant's share → one-time
 * redemption through the API (redeem.ts) → TCP to the VM (vnc.ts) → bridge (bridge.ts) → audit record
 * through the API (audit.ts); session.ts runs those steps. Nothing reaches the VM until the ticket has been
 * redeemed.
 */
export async function startConsoleProxy(
  config: ConsoleProxyConfig,
  api: ConsoleBrokerApi = consoleBrokerApi({ baseUrl: config.apiBaseUrl, apiKey: config.apiKey, timeoutMs: config.apiTimeoutMs }),
): Promise<ConsoleProxy> {
  const sessions = consoleSessions();
  let closing = false;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxMessageBytes,
    perMessageDeflate: false,
    // noVNC asks for no subprotocol; WEBMKS clients ask for `binary`. Text (`base64`) is not spoken.
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
  });
  const live = new LiveConsoles(api);
  const instanceId = config.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const orders = config.ordersUrl
    ? new OrderChannel({ url: config.ordersUrl, apiKey: config.apiKey, onOrder: (order) => live.apply(order) })
    : undefined;
  orders?.start();
  const sessionContext: SessionContext = { config, api, sessions, live, instanceId };
  const upgradeContext: UpgradeContext = {
    wss,
    allowedOrigins: config.allowedOrigins,
    closing: () => closing,
    session: (request, ticket) => consoleSession(sessionContext, request, ticket),
  };

  // Every way a client reaches the proxy goes through one guard, so no input can end the process.
  const server: Server = createServer();
  server.on(
    'request',
    guarded(
      'request',
      (request, response) => {
        const target = parseRequestTarget(request.url);
        if (!target) return send(response, 400, 'Bad Request');
        return serveStatic(target, request, response, () => sessions.live.size);
      },
      (_request, response) => failRequest(response),
    ),
  );
  server.on(
    'upgrade',
    guarded(
      'upgrade',
      (request, socket, head) => answerUpgrade(upgradeContext, request, socket, head),
      (_request, socket) => refuseUpgrade(socket, 500, 'Internal Server Error'),
    ),
  );
  server.on('connect', guarded('connect', refuseConnect, (_request, socket) => socket.destroy()));

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
    activeSessions: () => sessions.live.size,
    ordersReady: () => orders?.opened ?? Promise.resolve(),
    async close() {
      closing = true;
      await orders?.stop();
      live.stop();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const end of sessions.live) end(Close.goingAway, Refusal.shutdown);
      server.closeAllConnections();
      while (sessions.live.size > 0 || sessions.audits.size > 0) {
        await Promise.allSettled([...sessions.audits]);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      for (const client of wss.clients) client.terminate();
      await stopped;
    },
  };
}

function failRequest(response: ServerResponse): void {
  if (response.headersSent) return void response.destroy();
  send(response, 500, 'Internal Server Error');
}
