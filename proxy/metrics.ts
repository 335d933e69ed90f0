import { createServer, type Server } from 'node:http';
import type WebSocket from 'ws';
import type { ConsoleBrokerApi } from './api.js';
import { logger } from './log.js';
import { noDroppedInput } from './shadow/rfb-filter.js';

/** Bytes bridged so far, both ways; the bridge adds each chunk as it passes (bridge.ts). */
export interface Traffic {
  toVm: number;
  fromVm: number;
}

type Outcome = 'valid' | 'invalid' | 'api_unavailable';

/** The recordings' figures (proxy/recording/recordings.ts). */
export interface RecordingFigures {
  open: number;
  chunksStored: number;
  chunksFailed: number;
  queuedBytes: number;
}

const NO_RECORDINGS: RecordingFigures = { open: 0, chunksStored: 0, chunksFailed: 0, queuedBytes: 0 };

/**
 * The proxy's operational figures: open sessions, pending redemptions, redemptions by outcome, bytes each
 * way, closes by code, recordings. Counts only: no tenant, VM, principal, ticket or address is ever a label.
 */
export function proxyMetrics(openSessions: () => number, recordings: () => RecordingFigures = () => NO_RECORDINGS) {
  const traffic: Traffic = { toVm: 0, fromVm: 0 };
  const redemptions: Record<Outcome, number> = { valid: 0, invalid: 0, api_unavailable: 0 };
  const closes = new Map<number, number>();
  /** Input events read-only shadows' browsers sent and the proxy dropped, by kind. */
  const shadowInputDropped = noDroppedInput();
  let pending = 0;

  const snapshot = () => ({ openSessions: openSessions(), pendingRedemptions: pending });

  return {
    traffic,
    shadowInputDropped,
    snapshot,

    /** The API, with each redemption counted while pending and by its outcome once answered. */
    countingRedemptions(api: ConsoleBrokerApi): ConsoleBrokerApi {
      return {
        ...api,
        async redeemTicket(ticket, from) {
          pending += 1;
          try {
            const target = await api.redeemTicket(ticket, from);
            redemptions[target ? 'valid' : 'invalid'] += 1;
            return target;
          } catch (error) {
            redemptions.api_unavailable += 1;
            throw error;
          } finally {
            pending -= 1;
          }
        },
      };
    },

    /** Counts the console WebSocket's close code (as the close handshake ended, 1006 if it never did). */
    track(ws: WebSocket): void {
      ws.once('close', (code: number) => closes.set(code, (closes.get(code) ?? 0) + 1));
    },

    /** Prometheus text exposition format 0.0.4. */
    render(): string {
      const { openSessions: open, pendingRedemptions } = snapshot();
      const recorded = recordings();
      const lines = [
        '# HELP console_proxy_sessions_open Console sessions being set up or bridged (what CONSOLE_PROXY_MAX_SESSIONS limits).',
        '# TYPE console_proxy_sessions_open gauge',
        `console_proxy_sessions_open ${open}`,
        '# HELP console_proxy_redemptions_pending Ticket redemptions waiting for the API.',
        '# TYPE console_proxy_redemptions_pending gauge',
        `console_proxy_redemptions_pending ${pendingRedemptions}`,
        '# HELP console_proxy_redemptions_total Ticket redemptions by outcome.',
        '# TYPE console_proxy_redemptions_total counter',
        ...Object.entries(redemptions).map(([outcome, count]) => `console_proxy_redemptions_total{outcome="${outcome}"} ${count}`),
        '# HELP console_proxy_bytes_total Bytes bridged between browsers and VMs.',
        '# TYPE console_proxy_bytes_total counter',
        `console_proxy_bytes_total{direction="to_vm"} ${traffic.toVm}`,
        `console_proxy_bytes_total{direction="from_vm"} ${traffic.fromVm}`,
        '# HELP console_proxy_closes_total Console WebSockets closed, by close code.',
        '# TYPE console_proxy_closes_total counter',
        ...[...closes].sort(([a], [b]) => a - b).map(([code, count]) => `console_proxy_closes_total{code="${code}"} ${count}`),
        '# HELP console_proxy_recordings_open Console recordings being written (a console open, or its last chunks being stored).',
        '# TYPE console_proxy_recordings_open gauge',
        `console_proxy_recordings_open ${recorded.open}`,
        '# HELP console_proxy_recording_chunks_total Recording chunks by the outcome of each attempt to store them (a failed one is retried).',
        '# TYPE console_proxy_recording_chunks_total counter',
        `console_proxy_recording_chunks_total{outcome="stored"} ${recorded.chunksStored}`,
        `console_proxy_recording_chunks_total{outcome="failed"} ${recorded.chunksFailed}`,
        '# HELP console_proxy_recording_bytes_queued Memory held by recordings not yet stored (CONSOLE_PROXY_RECORDING_PROXY_QUEUE_BYTES limits it).',
        '# TYPE console_proxy_recording_bytes_queued gauge',
        `console_proxy_recording_bytes_queued ${recorded.queuedBytes}`,
        '# HELP console_proxy_shadow_input_dropped_total Input events from read-only shadows dropped before the VM, by kind.',
        '# TYPE console_proxy_shadow_input_dropped_total counter',
        ...Object.entries(shadowInputDropped).map(([kind, count]) => `console_proxy_shadow_input_dropped_total{kind="${kind}"} ${count}`),
        '# HELP process_resident_memory_bytes Resident memory of the proxy process.',
        '# TYPE process_resident_memory_bytes gauge',
        `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
      ];
      return `${lines.join('\n')}\n`;
    },
  };
}

export type ProxyMetrics = ReturnType<typeof proxyMetrics>;

/** `GET /metrics` on a listener of its own, so the public port never shows them. */
export async function serveMetrics(metrics: ProxyMetrics, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.url !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      return void response.end('Not Found');
    }
    const body = metrics.render();
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as { port: number; address: string };
  const shown = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * CloudWatch embedded metric format: one log line every `intervalMs` that CloudWatch Logs turns into the
 * OpenSessions and PendingRedemptions metrics of `namespace`, by ServiceName (the fleet scales on them).
 */
export function emitEmf(metrics: ProxyMetrics, { namespace, service, intervalMs }: { namespace: string; service: string; intervalMs: number }): () => void {
  const emit = () => {
    const { openSessions, pendingRedemptions } = metrics.snapshot();
    process.stdout.write(`${JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [{
          Namespace: namespace,
          Dimensions: [['ServiceName']],
          Metrics: [{ Name: 'OpenSessions', Unit: 'Count' }, { Name: 'PendingRedemptions', Unit: 'Count' }],
        }],
      },
      ServiceName: service,
      OpenSessions: openSessions,
      PendingRedemptions: pendingRedemptions,
    })}\n`);
  };
  const timer = setInterval(emit, intervalMs);
  timer.unref();
  logger.info('console proxy metrics as EMF', { namespace, service, intervalMs });
  emit();
  return () => clearInterval(timer);
}
