import { CHUNK_BYTES, FRAME_HEADER_BYTES, writeFrame, type FROM_BROWSER, type FROM_VM } from '../../lib/protocol/recording.js';

/** An idle console's chunk stays small: the buffer starts at 64 KiB and grows up to CHUNK_BYTES as frames come. */
const FIRST_BYTES = 64 * 1024;

/**
 * Full-size chunk buffers whose chunks are stored, kept for the next busy chunk of any recording: a busy screen
 * then fills the same few buffers over and over instead of allocating ~2 MiB per chunk, which the garbage
 * collector paid for (a third of the recorder's cost). At most `max` are kept (`max` MiB, apart from the queues).
 */
export class ChunkBufferPool {
  private readonly free: Buffer[] = [];

  constructor(private readonly max: number) {}

  get available(): boolean {
    return this.free.length > 0;
  }

  take(): Buffer | undefined {
    return this.free.pop();
  }

  /** Keeps a stored chunk's buffer if it is full-size and there is room. */
  give(buffer: Buffer): void {
    if (buffer.length === CHUNK_BYTES && this.free.length < this.max) this.free.push(buffer);
  }
}

/** A chunk ready to store, and the memory it holds until it is stored (its buffer's size, not its length). */
export interface SealedChunk {
  bytes: Buffer;
  /** The whole buffer `bytes` is the start of (back to the pool once stored). */
  buffer: Buffer;
  heldBytes: number;
}

/**
 * The chunk being filled: frames are copied into one buffer as they pass (the only copy of a frame the
 * recorder makes), which grows when a frame does not fit. The recorder decides whether memory allows it.
 */
export class ChunkBuffer {
  private buffer: Buffer | undefined;
  private used = 0;

  constructor(private readonly pool: ChunkBufferPool) {}

  get heldBytes(): number {
    return this.buffer?.length ?? 0;
  }

  get empty(): boolean {
    return this.used === 0;
  }

  /** Whether a frame of `payloadBytes` would take the chunk past CHUNK_BYTES (seal it first; an empty one takes any frame). */
  overflows(payloadBytes: number): boolean {
    return this.used > 0 && this.used + FRAME_HEADER_BYTES + payloadBytes > CHUNK_BYTES;
  }

  /** How many bytes more the buffer must hold to take a frame of `payloadBytes` (0: it fits as it is). */
  growthFor(payloadBytes: number): number {
    return this.grownSize(this.used + FRAME_HEADER_BYTES + payloadBytes) - this.heldBytes;
  }

  /** The buffer size a chunk of `need` bytes takes: as it is, the first small one, doubled, or (busy) a full-size one from the pool. */
  private grownSize(need: number): number {
    if (need <= this.heldBytes) return this.heldBytes;
    if (need > FIRST_BYTES && need <= CHUNK_BYTES && this.pool.available) return CHUNK_BYTES;
    return Math.max(need, Math.min(CHUNK_BYTES, Math.max(FIRST_BYTES, this.heldBytes * 2)));
  }

  /** Appends a frame; the caller has made room with `growthFor` (and accounted for it). */
  write(offsetMs: number, direction: typeof FROM_VM | typeof FROM_BROWSER, payload: Uint8Array): void {
    const size = this.grownSize(this.used + FRAME_HEADER_BYTES + payload.length);
    if (size > this.heldBytes) {
      const larger = (size === CHUNK_BYTES && this.pool.take()) || Buffer.allocUnsafe(size);
      if (this.buffer) this.buffer.copy(larger, 0, 0, this.used);
      this.buffer = larger;
    }
    this.used = writeFrame(this.buffer!, this.used, offsetMs, direction, payload);
  }

  /** The chunk as it is, and a fresh (unallocated) buffer for the next one; undefined when empty. */
  seal(): SealedChunk | undefined {
    if (!this.buffer || this.used === 0) return undefined;
    const sealed = { bytes: this.buffer.subarray(0, this.used), buffer: this.buffer, heldBytes: this.buffer.length };
    this.buffer = undefined;
    this.used = 0;
    return sealed;
  }

  /** Drops the chunk being filled; returns the memory it held. */
  discard(): number {
    const held = this.heldBytes;
    this.buffer = undefined;
    this.used = 0;
    return held;
  }
}
