import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { WebSocketServer } from 'ws';
import { consoleBrokerApi, type ConsoleBrokerApi } from './api.js';
import { consoleSessions } from './capacity.js';
import type { ConsoleProxyConfig } from './config.js';
import { guarded } from './guard.js';
import { LiveConsoles } from './live-consoles.js';
import { OrderChannel } from './orders.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { logger } from './log.js';
import { chooseSubprotocol } from './notices.js';
import { emitEmf, proxyMetrics, serveMetrics, type ProxyMetrics } from './metrics.js';
import { Recordings } from './recording/recordings.js';
import { s3RecordingStorage } from './recording/storage.js';
import { parseRequestTarget } from './request-target.js';
import { consoleSession, type SessionContext } from './session.js';
import { DEFAULT_GRACE_MS, drain, type DrainResult } from './shutdown.js';
import { send, serveStatic } from './static.js';
import { tlsServer } from './tls.js';
import { answerUpgrade, refuseConnect, refuseUpgrade, type UpgradeContext } from './upgrade.js';
import { Close } from './bridge.js';
import { playbacks } from './playback/playbacks.js';
import { Refusal } from './refusals.js';

export interface ConsoleProxy {
  /** `http://host:port` the proxy listens on (`https://` with TLS). */
  url: string;
  port: number;
  /** Sessions being set up or bridged right now. */
  activeSessions(): number;
  /** The operational figures (metrics.ts); served at `metricsUrl` when the config names a metrics port. */
  metrics: ProxyMetrics;
  metricsUrl?: string;
  /**
   * Stops accepting, ends every session (1001, "shutting down") and waits for the browsers' close frames and
   * the audit records, at most `graceMs`; whatever is left then is cut off. See shutdown.ts.
   */
  close(graceMs?: number): Promise<DrainResult>;
  /** Resolves once the order channel is open (at once when there is none). */
  ordersReady(): Promise<void>;
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
  api: ConsoleBrokerApi = consoleBrokerApi({
    baseUrl: config.apiBaseUrl,
    apiKey: config.apiKey,
    timeoutMs: config.apiTimeoutMs,
    redemptionTimeoutMs: config.redemptionTimeoutMs,
  }),
): Promise<ConsoleProxy> {
  const sessions = consoleSessions();
  // One S3 client for both directions: the recorder writes recordings, playbacks read them.
  const storage = config.recording ? s3RecordingStorage(config.recording) : undefined;
  const recordings = new Recordings(storage, config.recordingLimits);
  const metrics = proxyMetrics(() => sessions.live.size, () => recordings.figures());
  api = metrics.countingRedemptions(api);
  let closing = false;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxMessageBytes,
    perMessageDeflate: false,
    handleProtocols: chooseSubprotocol,
  });
  const live = new LiveConsoles(api);
  const instanceId = config.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const orders = config.ordersUrl
    ? new OrderChannel({ url: config.ordersUrl, apiKey: config.apiKey, onOrder: (order) => live.apply(order) })
    : undefined;
  orders?.start();
  const playback = playbacks(config, api, storage);
  const sessionContext: SessionContext = {
    config, api, sessions, traffic: metrics.traffic, droppedInput: metrics.shadowInputDropped, live, instanceId, recordings,
  };
  const upgradeContext: UpgradeContext = {
    wss,
    allowedOrigins: config.allowedOrigins,
    closing: () => closing,
    session: (request, ticket) => {
      const session = consoleSession(sessionContext, request, ticket);
      return (ws) => {
        metrics.track(ws);
        session(ws);
      };
    },
    playback: (request, token) => playback.open(request, token),
  };

  // Every way a client reaches the proxy goes through one guard, so no input can end the process.
  const tls = config.tls ? tlsServer(config.tls) : undefined;
  const server: Server | HttpsServer = tls?.server ?? createServer();
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
    ...(config.recording ? { recordingBucket: config.recording.bucket, ...(config.recording.endpoint ? { recordingEndpoint: config.recording.endpoint } : {}) } : {}),
    nodeVersion: process.versions.node,
  });

  const metricsServer = config.metrics ? await serveMetrics(metrics, config.metrics.host, config.metrics.port) : undefined;
  const stopEmf = config.emf ? emitEmf(metrics, config.emf) : undefined;

  return {
    url: `${tls ? 'https' : 'http'}://${host}:${address.port}`,
    port: address.port,
    activeSessions: () => sessions.live.size,
    metrics,
    ...(metricsServer ? { metricsUrl: metricsServer.url } : {}),
    ordersReady: () => orders?.opened ?? Promise.resolve(),
    async close(graceMs = config.shutdownGraceMs ?? DEFAULT_GRACE_MS) {
      playback.endAll(Close.goingAway, Refusal.shutdown);
      // Recordings store what they hold in the first four fifths of the grace; the end reports go out in the rest.
      recordings.finishBy(Date.now() + Math.floor(graceMs * 0.8));
      const result = await drain({ server, wss, sessions, graceMs, stopAccepting: () => (closing = true) });
      await orders?.stop();
      live.stop();
      stopEmf?.();
      tls?.stop();
      await metricsServer?.close();
      return result;
    },
  };
}

function failRequest(response: ServerResponse): void {
  if (response.headersSent) return void response.destroy();
  send(response, 500, 'Internal Server Error');
}
