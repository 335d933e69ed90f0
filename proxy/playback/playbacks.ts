import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import type { PlaybackGrant } from '../../lib/protocol/console-proxy.js';
import { recordingKeyPrefix } from '../../lib/protocol/recording.js';
import type { ConsoleBrokerApi } from '../api.js';
import { Close, closeConsole } from '../bridge.js';
import { clientAddressOf } from '../client-address.js';
import { DEFAULT_MAX_PLAYBACKS, type ConsoleProxyConfig } from '../config.js';
import { guarded } from '../guard.js';
import { errorSummary, logger } from '../log.js';
import type { RecordingStorage } from '../recording/storage.js';
import type { RequestTarget } from '../request-target.js';
import { ticketFingerprint } from '../tickets.js';
import { streamRecording, StorageFailed } from './stream.js';

/** The close reasons a playback page shows. */
export const PlaybackRefusal = {
  noToken: 'No playback token was presented.',
  token: 'The playback link is not valid: it is unknown, expired or already used.',
  capacity: 'The console proxy is playing back as many recordings as it can; try again later.',
  storage: 'The recording storage is unavailable.',
  api: 'The console service is unavailable; try again later.',
  internal: 'The console proxy failed; try again later.',
} as const;

/** The playback WebSocket: `/playback?token=<one-time token>`; `undefined` for any other path. */
export const playbackTokenOf = (target: RequestTarget): string | undefined =>
  target.path === '/playback' ? (target.query.get('token') ?? '') : undefined;

export interface Playbacks {
  /** The playback of the recording `token` opens, for the accepted WebSocket. */
  open(request: IncomingMessage, token: string): (ws: WebSocket) => void;
  /** Playbacks in progress (what `maxPlaybacks` limits). */
  size(): number;
  /** Ends every playback in progress (shutdown). */
  endAll(code: number, reason: string): void;
}

/**
 * Playing recordings back: per WebSocket, a place in this proxy's own playback budget (apart from the console
 * sessions') → one-time redemption of the token through the API → the recording's manifest as one text
 * message, then its chunks as stored (stream.ts), then `{"type":"end"}` and close 1000. The recording is
 * read from the storage only under the key prefix the API granted, which must be the manifest's own.
 */
export function playbacks(config: ConsoleProxyConfig, api: ConsoleBrokerApi, storage: RecordingStorage | undefined): Playbacks {
  const live = new Set<(code: number, reason: string) => void>();
  const max = config.maxPlaybacks ?? DEFAULT_MAX_PLAYBACKS;

  async function play(ws: WebSocket, request: IncomingMessage, token: string): Promise<void> {
    ws.on('error', () => undefined);
    // The page sends nothing; whatever a client sends is read and dropped.
    if (!token) return refuse(ws, Close.policy, PlaybackRefusal.noToken, 'no token');
    const tokenId = ticketFingerprint(token);
    // Refused before redeeming, so that the token stays good for a later try.
    if (!storage) return refuse(ws, Close.internal, PlaybackRefusal.storage, 'no recording storage configured', tokenId);
    if (live.size >= max) return refuse(ws, Close.tryAgainLater, PlaybackRefusal.capacity, 'playback capacity', tokenId);
    const end = (code: number, reason: string) => closeConsole(ws, code, reason);
    live.add(end);
    try {
      const clientAddress = clientAddressOf(request, config.trustForwardedFor);
      let grant: PlaybackGrant | undefined;
      try {
        grant = await api.redeemPlayback(token, clientAddress !== 'unknown' ? { clientAddress: clientAddress.slice(0, 64) } : {});
      } catch (error) {
        logger.error('playback redemption failed', { token: tokenId, error: errorSummary(error).message });
        return closeConsole(ws, Close.internal, PlaybackRefusal.api);
      }
      if (!grant) return refuse(ws, Close.policy, PlaybackRefusal.token, 'token', tokenId);
      const { manifest, keyPrefix } = grant;
      const who = { token: tokenId, tenant: manifest.tenantId, vm: manifest.vmMoId, recording: manifest.recordingId, viewer: grant.viewer };
      // Defence in depth: the API builds the prefix from the manifest; anything else is read from nowhere.
      if (keyPrefix !== recordingKeyPrefix(manifest.tenantId, manifest.vmMoId, manifest.recordingId)) {
        logger.error('playback refused: the grant names a key prefix that is not its recording’s', who);
        return closeConsole(ws, Close.internal, PlaybackRefusal.internal);
      }
      if (ws.readyState !== ws.OPEN) return;
      logger.info('playback started', who);
      ws.send(JSON.stringify({ type: 'recording', manifest, viewer: grant.viewer }));
      const streamed = await streamRecording(ws, storage, keyPrefix, { highWaterMarkBytes: config.highWaterMarkBytes, stallMs: config.idleTimeoutMs });
      if (!streamed) return void logger.info('playback left', who);
      if (streamed.afterGap) logger.warn('playback stopped at a missing chunk', { ...who, chunks: streamed.chunks, afterGap: streamed.afterGap });
      ws.send(JSON.stringify({ type: 'end', chunks: streamed.chunks, bytes: streamed.bytes }));
      closeConsole(ws, Close.normal, '');
      logger.info('playback sent', { ...who, chunks: streamed.chunks, bytes: streamed.bytes });
    } catch (error) {
      if (!(error instanceof StorageFailed)) throw error;
      logger.error('recording storage failed', { token: tokenId, error: errorSummary(error.cause ?? error).message, step: error.message });
      closeConsole(ws, Close.internal, PlaybackRefusal.storage);
    } finally {
      live.delete(end);
    }
  }

  return {
    open: (request, token) =>
      guarded(
        'playback',
        (ws: WebSocket) => play(ws, request, token),
        (ws) => closeConsole(ws, Close.internal, PlaybackRefusal.internal),
      ),
    size: () => live.size,
    endAll(code, reason) {
      for (const end of live) end(code, reason);
    },
  };
}

function refuse(ws: WebSocket, code: number, message: string, reason: string, token?: string): void {
  logger.warn('playback refused', { reason, ...(token ? { token } : {}) });
  closeConsole(ws, code, message);
}
