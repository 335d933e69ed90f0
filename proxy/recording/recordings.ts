import { ChunkBufferPool } from './chunk-buffer.js';
import type { RecordingStorage } from './storage.js';

/** How much one recording, and all of this proxy's recordings together, may hold in memory before it is stored. */
export interface RecordingLimits {
  /** Bytes one recording may hold queued (its chunk being filled included); CONSOLE_PROXY_RECORDING_QUEUE_BYTES. */
  queueBytesPerRecording: number;
  /** Bytes all recordings together may hold queued; CONSOLE_PROXY_RECORDING_PROXY_QUEUE_BYTES. */
  queueBytesPerProxy: number;
  /** How long an ended console's recording keeps retrying its last chunks; CONSOLE_PROXY_RECORDING_FLUSH_SECONDS. */
  flushTimeoutMs: number;
}

export const DEFAULT_RECORDING_LIMITS: RecordingLimits = {
  queueBytesPerRecording: 8 * 1024 * 1024,
  queueBytesPerProxy: 256 * 1024 * 1024,
  flushTimeoutMs: 300_000,
};

/** The smallest per-recording queue: room for the largest frame (a browser message) in an empty chunk. */
export const MIN_QUEUE_BYTES = 512 * 1024;

/**
 * The proxy's recordings as a whole: where they are stored (none when the proxy has no recording bucket), the
 * memory they share, the deadline a draining proxy gives them, and the counts the metrics show.
 */
export class Recordings {
  queuedBytes = 0;
  open = 0;
  chunksStored = 0;
  chunksFailed = 0;
  /** Stored chunks' full-size buffers, for the next busy chunks (at most 8 MiB, apart from the queues). */
  readonly pool = new ChunkBufferPool(8);
  /** Set when the proxy drains: recordings stop retrying at this time (epoch ms), so the end reports can go out. */
  deadline: number | undefined;
  private readonly waiting = new Set<() => void>();
  private readonly deadlineListeners = new Set<() => void>();

  constructor(
    readonly storage: RecordingStorage | undefined,
    readonly limits: RecordingLimits = DEFAULT_RECORDING_LIMITS,
  ) {}

  /** Whether `bytes` more fit in the proxy's share (the recording checks its own). */
  fits(bytes: number): boolean {
    return this.queuedBytes + bytes <= this.limits.queueBytesPerProxy;
  }

  take(bytes: number): void {
    this.queuedBytes += bytes;
  }

  /** Gives bytes back and wakes every recording that waits for room. */
  release(bytes: number): void {
    this.queuedBytes -= bytes;
    if (this.waiting.size === 0) return;
    const woken = [...this.waiting];
    this.waiting.clear();
    for (const wake of woken) wake();
  }

  /** `wake` is called once, at the next release anywhere. */
  waitForRoom(wake: () => void): void {
    this.waiting.add(wake);
  }

  forget(wake: () => void): void {
    this.waiting.delete(wake);
  }

  /** From now on recordings retry no later than `deadline`, and give up then (a draining proxy). */
  finishBy(deadline: number): void {
    this.deadline = deadline;
    for (const listener of [...this.deadlineListeners]) listener();
  }

  onDeadline(listener: () => void): void {
    this.deadlineListeners.add(listener);
  }

  offDeadline(listener: () => void): void {
    this.deadlineListeners.delete(listener);
  }

  figures() {
    return { open: this.open, chunksStored: this.chunksStored, chunksFailed: this.chunksFailed, queuedBytes: this.queuedBytes };
  }
}
