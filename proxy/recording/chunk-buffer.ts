import { CHUNK_BYTES, FRAME_HEADER_BYTES, writeFrame, type FROM_BROWSER, type FROM_VM } from '../../lib/protocol/recording.js';

/** An idle console's chunk stays small: the buffer starts at 64 KiB and doubles up to CHUNK_BYTES as frames come. */
const FIRST_BYTES = 64 * 1024;

/** A chunk ready to store, and the memory it holds until it is stored (its buffer's size, not its length). */
export interface SealedChunk {
  bytes: Buffer;
  /** The whole buffer `bytes` is the start of. */
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
  /**
   * A full-size buffer whose chunk is stored, kept for the next chunk: a busy screen then fills the same two or
   * three buffers over and over instead of allocating 2 MiB per chunk (which the garbage collector paid for).
   */
  private spare: Buffer | undefined;

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

  /** How many bytes more the buffer must hold to take a frame of `payloadBytes` (0: it fits as it is, or in the spare). */
  growthFor(payloadBytes: number): number {
    const need = this.used + FRAME_HEADER_BYTES + payloadBytes;
    if (need <= this.heldBytes) return 0;
    if (!this.buffer && this.spare && need <= this.spare.length) return 0;
    return Math.max(need, Math.min(CHUNK_BYTES, Math.max(FIRST_BYTES, this.heldBytes * 2))) - this.heldBytes;
  }

  /** Appends a frame; the caller has made room with `growthFor` (and accounted for it). */
  write(offsetMs: number, direction: typeof FROM_VM | typeof FROM_BROWSER, payload: Uint8Array): void {
    if (!this.buffer && this.spare && this.used + FRAME_HEADER_BYTES + payload.length <= this.spare.length) {
      this.buffer = this.spare;
      this.spare = undefined;
    }
    const growth = this.growthFor(payload.length);
    if (growth > 0) {
      const larger = Buffer.allocUnsafe(this.heldBytes + growth);
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

  /** Keeps a stored chunk's buffer for the next chunk if it is full-size and no other is kept; false: let it go. */
  recycle(buffer: Buffer): boolean {
    if (this.spare || buffer.length < CHUNK_BYTES) return false;
    this.spare = buffer;
    return true;
  }

  /** Lets the kept buffer go (the screen has gone quiet, or the recording ends); returns the memory it held. */
  dropSpare(): number {
    const held = this.spare?.length ?? 0;
    this.spare = undefined;
    return held;
  }

  /** Drops the chunk being filled; returns the memory it held. */
  discard(): number {
    const held = this.heldBytes;
    this.buffer = undefined;
    this.used = 0;
    return held;
  }
}
