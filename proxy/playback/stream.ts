import WebSocket from 'ws';
import { chunkKey } from '../../lib/protocol/recording.js';
import type { RecordingStorage } from '../recording/storage.js';

/** What a playback sent of a recording: its chunks (one binary WebSocket message each) and their bytes. */
export interface Streamed {
  chunks: number;
  bytes: number;
  /** Chunks stored after a missing one (never sent: the stream cannot be decoded across a gap). */
  afterGap: number;
}

/** Thrown when the recording's storage fails (a list or a get): the page is told the storage is unavailable. */
export class StorageFailed extends Error {
  override name = 'StorageFailed';
}

const AS_IS = { binary: true, compress: false } as const;

/**
 * Sends the recording stored under `keyPrefix` to `ws`, chunk by chunk in order (`chunk-000000`, `-000001`,
 * … up to the first one missing; `header.json` is not sent: the manifest says more), one binary message per
 * chunk as stored. Reads only keys under `keyPrefix`. The next chunk is fetched while one is being sent; past
 * `highWaterMarkBytes` queued towards the browser, sending waits until it drains (at most `stallMs`, after
 * which the socket is cut). Resolves `undefined` when the browser left meanwhile.
 */
export async function streamRecording(
  ws: WebSocket,
  storage: RecordingStorage,
  keyPrefix: string,
  { highWaterMarkBytes, stallMs }: { highWaterMarkBytes: number; stallMs: number },
): Promise<Streamed | undefined> {
  const keys = await storage.list(keyPrefix).catch((error: unknown) => {
    throw new StorageFailed('listing the recording failed', { cause: error });
  });
  const stored = new Set(keys.filter((key) => key.startsWith(keyPrefix)));
  const chunks: string[] = [];
  while (stored.has(chunkKey(keyPrefix, chunks.length))) chunks.push(chunkKey(keyPrefix, chunks.length));
  const afterGap = [...stored].filter((key) => key.startsWith(`${keyPrefix}chunk-`)).length - chunks.length;

  const fetch = (key: string) => {
    const body = storage.get(key);
    // Handled here too: a prefetched chunk nobody awaits any more (the browser left) must not reject unhandled.
    body.catch(() => undefined);
    return body;
  };
  let bytes = 0;
  let next = chunks.length ? fetch(chunks[0]!) : undefined;
  for (let index = 0; index < chunks.length; index += 1) {
    const body = await next!.catch((error: unknown) => {
      throw new StorageFailed(`reading chunk ${index} failed`, { cause: error });
    });
    next = index + 1 < chunks.length ? fetch(chunks[index + 1]!) : undefined;
    if (ws.readyState !== WebSocket.OPEN) return undefined;
    await send(ws, body, highWaterMarkBytes, stallMs);
    bytes += body.length;
  }
  return ws.readyState === WebSocket.OPEN ? { chunks: chunks.length, bytes, afterGap } : undefined;
}

/** Sends one chunk; waits for it to be written when it crosses the high-water mark (then all before it are too). */
function send(ws: WebSocket, body: Uint8Array, highWaterMarkBytes: number, stallMs: number): Promise<void> {
  if (ws.bufferedAmount + body.length < highWaterMarkBytes) {
    ws.send(body, AS_IS);
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    // A browser that stops reading holds a playback place no longer than this.
    const stalled = setTimeout(() => {
      ws.terminate();
      resolve();
    }, stallMs);
    ws.send(body, AS_IS, () => {
      clearTimeout(stalled);
      resolve();
    });
  });
}
