import { BUSY_CHUNK_BYTES, CHUNK_BYTES, FRAME_HEADER_BYTES, writeFrame, type FROM_BROWSER, type FROM_VM } from '../../lib/protocol/recording.js';

/** An idle console's chunk stays small: the buffer starts at 64 KiB and grows up to CHUNK_BYTES as frames come. */
const FIRST_BYTES = 64 * 1024;

/**
 * Full-size chunk buffers (CHUNK_BYTES, or BUSY_CHUNK_BYTES) whose chunks are stored, kept for the next busy
 * chunk of any recording: a busy screen then fills the same few buffers over and over instead of allocating
 * ~2 MiB per chunk, which the garbage collector paid for (a third of the recorder's cost). They hold at most
 * `maxMiB` MiB together (apart from the queues).
 */
export class ChunkBufferPool {
  private readonly free: Buffer[] = [];
  private heldBytes = 0;

  constructor(private readonly maxMiB: number) {}

  /** Whether it holds a CHUNK_BYTES buffer. */
  get available(): boolean {
    return this.has(CHUNK_BYTES);
  }

  has(size: number): boolean {
    return this.free.some((buffer) => buffer.length === size);
  }

  take(size = CHUNK_BYTES): Buffer | undefined {
    let index = this.free.length - 1;
    while (index >= 0 && this.free[index]!.length !== size) index -= 1;
    if (index < 0) return undefined;
    const [buffer] = this.free.splice(index, 1);
    this.heldBytes -= size;
    return buffer;
  }

  /** Keeps a stored chunk's buffer if it is full-size and there is room (a busy-size one makes room: screens are busy now). */
  give(buffer: Buffer): void {
    if (buffer.length !== CHUNK_BYTES && buffer.length !== BUSY_CHUNK_BYTES) return;
    const max = this.maxMiB * CHUNK_BYTES;
    while (buffer.length === BUSY_CHUNK_BYTES && this.heldBytes + buffer.length > max) {
      const index = this.free.findIndex((kept) => kept.length === CHUNK_BYTES);
      if (index < 0) break;
      this.free.splice(index, 1);
      this.heldBytes -= CHUNK_BYTES;
    }
    if (this.heldBytes + buffer.length > max) return;
    this.free.push(buffer);
    this.heldBytes += buffer.length;
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

  /** The bytes of frames in it. */
  get length(): number {
    return this.used;
  }

  /**
   * Whether a frame of `payloadBytes` would take the chunk past `limit` (CHUNK_BYTES; BUSY_CHUNK_BYTES while
   * the previous chunk is being stored): seal it first. An empty one takes any frame.
   */
  overflows(payloadBytes: number, limit = CHUNK_BYTES): boolean {
    return this.used > 0 && this.used + FRAME_HEADER_BYTES + payloadBytes > limit;
  }

  /**
   * How many bytes more the buffer must hold to take a frame of `payloadBytes` (0: it fits as it is); `busy`:
   * the previous chunk is being stored, so a full chunk may grow to BUSY_CHUNK_BYTES.
   */
  growthFor(payloadBytes: number, busy = false): number {
    return this.grownSize(this.used + FRAME_HEADER_BYTES + payloadBytes, busy) - this.heldBytes;
  }

  /**
   * The buffer size a chunk of `need` bytes takes: as it is, the first small one, doubled, (busy) a full-size
   * one from the pool, or (a full-size chunk still filling while the previous one is stored) a busy-size one.
   */
  private grownSize(need: number, busy: boolean): number {
    if (need <= this.heldBytes) return this.heldBytes;
    if (busy && need > CHUNK_BYTES && need <= BUSY_CHUNK_BYTES && this.heldBytes >= CHUNK_BYTES) return BUSY_CHUNK_BYTES;
    if (need > FIRST_BYTES && need <= CHUNK_BYTES) {
      if (this.pool.available) return CHUNK_BYTES;
      if (busy && this.pool.has(BUSY_CHUNK_BYTES)) return BUSY_CHUNK_BYTES;
    }
    return Math.max(need, Math.min(CHUNK_BYTES, Math.max(FIRST_BYTES, this.heldBytes * 2)));
  }

  /** Appends a frame; the caller has made room with `growthFor` (the same `busy`; and accounted for it). */
  write(offsetMs: number, direction: typeof FROM_VM | typeof FROM_BROWSER, payload: Uint8Array, busy = false): void {
    const size = this.grownSize(this.used + FRAME_HEADER_BYTES + payload.length, busy);
    if (size > this.heldBytes) {
      const larger = this.pool.take(size) ?? Buffer.allocUnsafe(size);
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
