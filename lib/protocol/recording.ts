/**
 * A console recording as stored (issue 27): objects under the manifest's `keyPrefix` in the recording bucket.
 * The proxy writes it; the proxy's playback page reads it (proxy/public/playback.js decodes the same layout).
 *
 * - `<keyPrefix>header.json` — written first, before the console opens (so a mandatory policy can refuse a
 *   console whose recording cannot be stored): `RecordingHeader` as JSON.
 * - `<keyPrefix>chunk-<000000>` — the stream, in order, numbered from 0 without gaps: a sequence of frames,
 *   each `u32 BE milliseconds since the recording started | u8 direction | u32 BE length | payload`. A chunk is
 *   cut at `CHUNK_BYTES` or after `CHUNK_MILLISECONDS`, whichever comes first, and at the end.
 *
 * Every object carries the tag `retention-days=<n>` (the bucket's lifecycle rules expire it) and, on AWS,
 * SSE-KMS with the deployment's key.
 */

export const RECORDING_FORMAT = 'console-broker-rfb-recording/1';

/** Bytes from the VM (the screen: RFB server messages). */
export const FROM_VM = 0;
/** Bytes from the browser (RFB client messages: keystrokes, pointer); only when the grant says `input`. */
export const FROM_BROWSER = 1;

export const FRAME_HEADER_BYTES = 9;
export const CHUNK_BYTES = 1024 * 1024;
export const CHUNK_MILLISECONDS = 5000;

export interface RecordingHeader {
  format: typeof RECORDING_FORMAT;
  recordingId: string;
  tenantId: string;
  vmMoId: string;
  userName: string;
  sessionId: string;
  startedAt: string;
  input: boolean;
}

export const headerKey = (keyPrefix: string) => `${keyPrefix}header.json`;
export const chunkKey = (keyPrefix: string, sequence: number) => `${keyPrefix}chunk-${String(sequence).padStart(6, '0')}`;
export const retentionTag = (retentionDays: number) => `retention-days=${retentionDays}`;

/** The key prefix of a recording: the tenant first, so a tenant's recordings are one prefix (IAM, lifecycle, export). */
export const recordingKeyPrefix = (tenantId: string, vmMoId: string, recordingId: string) => `recordings/${tenantId}/${vmMoId}/${recordingId}/`;

/** Encodes one frame (header + payload) for a chunk. */
export function encodeFrame(offsetMs: number, direction: typeof FROM_VM | typeof FROM_BROWSER, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  writeFrame(frame, 0, offsetMs, direction, payload);
  return frame;
}

/**
 * Writes one frame into `target` at `at` (which must have room for `FRAME_HEADER_BYTES + payload.length`) and
 * returns where the next frame goes: the recorder fills a chunk buffer in place, with no allocation per frame.
 */
export function writeFrame(target: Buffer, at: number, offsetMs: number, direction: typeof FROM_VM | typeof FROM_BROWSER, payload: Uint8Array): number {
  target.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.floor(offsetMs))), at);
  target.writeUInt8(direction, at + 4);
  target.writeUInt32BE(payload.length, at + 5);
  target.set(payload, at + FRAME_HEADER_BYTES);
  return at + FRAME_HEADER_BYTES + payload.length;
}

export interface RecordedFrame {
  offsetMs: number;
  direction: number;
  payload: Uint8Array;
}

/** Decodes a whole chunk; throws on a truncated one. */
export function decodeChunk(chunk: Uint8Array): RecordedFrame[] {
  const frames: RecordedFrame[] = [];
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let at = 0;
  while (at < chunk.length) {
    if (at + FRAME_HEADER_BYTES > chunk.length) throw new Error('truncated frame header');
    const length = view.getUint32(at + 5);
    if (at + FRAME_HEADER_BYTES + length > chunk.length) throw new Error('truncated frame');
    frames.push({ offsetMs: view.getUint32(at), direction: view.getUint8(at + 4), payload: chunk.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length) });
    at += FRAME_HEADER_BYTES + length;
  }
  return frames;
}
