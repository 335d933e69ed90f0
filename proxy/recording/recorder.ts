import type { ConsoleSessionReport, ConsoleTarget, RecordingGrant } from '../../lib/protocol/console-proxy.js';
import { CHUNK_MILLISECONDS, chunkKey, FROM_BROWSER, FROM_VM, headerKey, RECORDING_FORMAT, type RecordingHeader } from '../../lib/protocol/recording.js';
import type { BridgeTap } from '../bridge.js';
import { errorSummary, logger } from '../log.js';
import { ChunkBuffer, type SealedChunk } from './chunk-buffer.js';
import type { Recordings } from './recordings.js';
import type { RecordingStorage } from './storage.js';

/** What became of a console's recording: the end report's `recording`. */
export type RecordingOutcome = NonNullable<ConsoleSessionReport['recording']>;

/** A console's recording while it is bridged: the bridge's tap (none when not recorded), and its end. */
export interface ConsoleRecording {
  tap?: BridgeTap;
  /** Stores what is left (retrying until the flush deadline) and says what was recorded. */
  finish(): Promise<RecordingOutcome>;
}

export const NO_STORAGE = 'no recording storage is configured on this console proxy';

/**
 * Starts a console's recording before it is bridged: stores `header.json`. When that fails (or the proxy has
 * no storage), a mandatory grant refuses the console (`refused`, with the outcome to report) and an optional
 * one opens it, not recorded.
 */
export async function startRecording(
  recordings: Recordings | undefined,
  target: ConsoleTarget & { recording: RecordingGrant },
  startedAt: Date,
): Promise<{ refused: RecordingOutcome } | { recording: ConsoleRecording }> {
  const grant = target.recording;
  const notRecorded = (reason: string): RecordingOutcome => ({ recordingId: grant.recordingId, state: 'not recorded', reason, chunks: 0, bytes: 0 });
  const storage = recordings?.storage;
  let failure = NO_STORAGE;
  if (recordings && storage) {
    const header: RecordingHeader = {
      format: RECORDING_FORMAT,
      recordingId: grant.recordingId,
      tenantId: target.tenantId,
      vmMoId: target.vmMoId,
      userName: target.issuedTo,
      sessionId: target.session.sessionId,
      startedAt: startedAt.toISOString(),
      input: grant.input,
    };
    try {
      await storage.put(headerKey(grant.keyPrefix), Buffer.from(JSON.stringify(header)), grant.retentionDays, 'application/json');
      logger.info('recording started', { recording: grant.recordingId, session: target.session.sessionId, input: grant.input, mandatory: grant.mandatory });
      return { recording: new Recorder(recordings, storage, grant) };
    } catch (error) {
      failure = `the recording storage is unavailable (${errorSummary(error).name})`;
    }
  }
  logger.warn('recording not started', { recording: grant.recordingId, session: target.session.sessionId, mandatory: grant.mandatory, reason: failure });
  if (grant.mandatory) return { refused: notRecorded(failure) };
  const outcome = notRecorded(failure);
  return { recording: { finish: async () => outcome } };
}

/**
 * One recording: frames copied into the chunk being filled as the bridge passes them; a chunk is sealed at
 * CHUNK_BYTES or CHUNK_MILLISECONDS and stored in order, one at a time, retried with backoff while storage is
 * down. One PUT in flight per recording keeps the stored chunks a contiguous prefix whatever happens (a crash or
 * a lost storage never leaves a gap for playback to trip on), and a console's screen is far below what one
 * PUT stream carries; consoles are stored in parallel with each other.
 *
 * Memory: the chunk being filled and the queue count against the recording's and the proxy's limits. When a
 * frame does not fit, a mandatory recording holds the bridge (the VM's bytes wait: nothing unrecorded reaches
 * the browser) until stored chunks free room; an optional one stops (`incomplete`) and drops its queue.
 */
class Recorder implements ConsoleRecording, BridgeTap {
  readonly tap: BridgeTap = this;
  private readonly chunk: ChunkBuffer;
  private readonly queue: SealedChunk[] = [];
  private readonly startedAt = performance.now();
  private heldBytes = 0;
  private storedChunks = 0;
  private storedBytes = 0;
  /** Why it stopped recording before the end (an optional recording whose queue filled). */
  private stopped: string | undefined;
  private cutTimer: NodeJS.Timeout | undefined;
  private room: (() => void) | undefined;
  private waitingForRoom = false;
  /** The uploads' loop, while it runs (`pumpRunning` turns false the moment it leaves the loop). */
  private pumping: Promise<void> | undefined;
  private pumpRunning = false;
  /** Cuts short the current wait (a retry's backoff, a PUT against the deadline): the deadline changed. */
  private interrupt: (() => void) | undefined;
  private readonly interruptWait = () => this.interrupt?.();
  private finishing: Promise<RecordingOutcome> | undefined;
  private flushStartedAt: number | undefined;

  constructor(
    private readonly recordings: Recordings,
    private readonly storage: RecordingStorage,
    private readonly grant: RecordingGrant,
  ) {
    this.chunk = new ChunkBuffer(recordings.pool);
    recordings.open += 1;
    recordings.onDeadline(this.interruptWait);
  }

  /** When it gives up retrying: the flush timeout after the console ended, or the draining proxy's deadline. */
  private get flushDeadline(): number {
    const drain = this.recordings.deadline ?? Infinity;
    return this.flushStartedAt === undefined ? drain : Math.min(this.flushStartedAt + this.recordings.limits.flushTimeoutMs, drain);
  }

  fromVm(chunk: Buffer): boolean {
    if (this.stopped !== undefined || this.finishing) return true;
    if (this.append(FROM_VM, chunk, false)) return true;
    if (!this.grant.mandatory) return this.stop('the recording could not keep up: its queue reached its memory limit'), true;
    this.awaitRoom();
    return false;
  }

  fromBrowser(data: Buffer): boolean {
    if (!this.grant.input || this.stopped !== undefined || this.finishing) return true;
    // Input is small and never dropped from a mandatory recording: it is taken, and the browser waits if that filled the queue.
    if (this.append(FROM_BROWSER, data, this.grant.mandatory)) {
      if (!this.grant.mandatory || (this.heldBytes <= this.recordings.limits.queueBytesPerRecording && this.recordings.fits(0))) return true;
      this.awaitRoom();
      return false;
    }
    this.stop('the recording could not keep up: its queue reached its memory limit');
    return true;
  }

  onRoom(room: () => void): void {
    this.room = room;
  }

  /** Copies a frame into the chunk being filled, unless memory does not allow it (`forced`: it does anyway). */
  private append(direction: typeof FROM_VM | typeof FROM_BROWSER, payload: Buffer, forced: boolean): boolean {
    if (this.chunk.overflows(payload.length)) this.seal();
    let growth = this.chunk.growthFor(payload.length);
    if (growth > 0 && !forced && !this.fits(growth)) {
      // Store what is there now, so that its memory comes back; the frame waits (or the recording stops).
      if (this.chunk.empty) return false;
      this.seal();
      growth = this.chunk.growthFor(payload.length);
      if (!this.fits(growth)) return false;
    }
    if (growth > 0) this.hold(growth);
    if (this.chunk.empty) this.cutTimer = setTimeout(() => this.seal(), CHUNK_MILLISECONDS).unref();
    this.chunk.write(performance.now() - this.startedAt, direction, payload);
    return true;
  }

  private fits(bytes: number): boolean {
    return this.heldBytes + bytes <= this.recordings.limits.queueBytesPerRecording && this.recordings.fits(bytes);
  }

  private hold(bytes: number): void {
    this.heldBytes += bytes;
    this.recordings.take(bytes);
  }

  private free(bytes: number): void {
    this.heldBytes -= bytes;
    this.recordings.release(bytes);
  }

  private readonly wake = () => {
    this.waitingForRoom = false;
    this.room?.();
  };

  private awaitRoom(): void {
    if (this.waitingForRoom) return;
    this.waitingForRoom = true;
    this.recordings.waitForRoom(this.wake);
  }

  private seal(): void {
    clearTimeout(this.cutTimer);
    const sealed = this.chunk.seal();
    if (!sealed) return;
    this.queue.push(sealed);
    if (this.pumpRunning) return;
    this.pumpRunning = true;
    // A bug in the uploads ends this recording's uploads (what is left is reported not stored), never the proxy.
    const running: Promise<void> = this.pump()
      .catch((error: unknown) => {
        this.pumpRunning = false;
        logger.error('recording uploads failed', { recording: this.grant.recordingId, error: errorSummary(error).message });
      })
      .finally(() => {
        if (this.pumping === running) this.pumping = undefined;
      });
    this.pumping = running;
  }

  /** Stops recording (an optional recording that cannot keep up): drops what is not stored yet, keeps what is. */
  private stop(reason: string): void {
    this.stopped = reason;
    clearTimeout(this.cutTimer);
    logger.warn('recording stopped', { recording: this.grant.recordingId, reason, chunks: this.storedChunks });
    this.free(this.chunk.discard());
    // The chunk being stored (the queue's first) stays until its PUT settles.
    for (const dropped of this.queue.splice(this.pumpRunning ? 1 : 0)) this.free(dropped.heldBytes);
  }

  /** Stores the queue in order, one PUT at a time, retrying each chunk until it is stored or the flush deadline passes. */
  private async pump(): Promise<void> {
    // `pumpRunning` turns false in the same step as the loop's last look at the queue: a chunk sealed after it
    // starts a new loop, never waits for one that has ended.
    const leave = () => void (this.pumpRunning = false);
    let failures = 0;
    for (;;) {
      if (this.queue.length === 0) return leave();
      const chunk = this.queue[0]!;
      const sequence = this.storedChunks;
      try {
        await this.settle(this.storage.put(chunkKey(this.grant.keyPrefix, sequence), chunk.bytes, this.grant.retentionDays));
      } catch (error) {
        failures += 1;
        this.recordings.chunksFailed += 1;
        if (failures === 1) logger.warn('recording chunk not stored; retrying', { recording: this.grant.recordingId, chunk: sequence, error: errorSummary(error).message });
        if (this.stopped !== undefined || Date.now() >= this.flushDeadline) return leave();
        await this.backoff(failures);
        if (Date.now() >= this.flushDeadline) return leave();
        continue;
      }
      if (failures > 0) logger.info('recording storage back', { recording: this.grant.recordingId, chunk: sequence, failures });
      failures = 0;
      this.queue.shift();
      this.storedChunks += 1;
      this.storedBytes += chunk.bytes.length;
      this.recordings.chunksStored += 1;
      this.free(chunk.heldBytes);
      // S3 has it: its buffer can take another busy chunk.
      this.recordings.pool.give(chunk.buffer);
      if (this.stopped !== undefined) return leave();
    }
  }

  /** 250 ms doubling to 10 s, with jitter so that proxies do not retry in step; never past the deadline. */
  private async backoff(failures: number): Promise<void> {
    const until = Date.now() + Math.min(10_000, 250 * 2 ** Math.min(failures - 1, 6)) * (0.5 + Math.random() / 2);
    while (Date.now() < Math.min(until, this.flushDeadline)) await this.wait(Math.min(until, this.flushDeadline)).done;
  }

  /** `put`, or a failure once the deadline passes (a draining proxy sends its end reports in time). */
  private async settle(put: Promise<void>): Promise<void> {
    const stored = put.then(() => 'stored' as const);
    stored.catch(() => undefined); // a PUT given up on may still fail later: nobody waits for it then
    for (;;) {
      const waiting = this.wait(this.flushDeadline);
      const result = await Promise.race([stored, waiting.done]).finally(waiting.cancel);
      if (result === 'stored') return;
      if (result === 'elapsed') throw new Error('the flush deadline passed');
    }
  }

  /** Until `deadline` (epoch ms; Infinity: until interrupted) or until the deadline changes (`interrupted`). */
  private wait(deadline: number): { done: Promise<'elapsed' | 'interrupted'>; cancel: () => void } {
    let timer: NodeJS.Timeout | undefined;
    let interrupted: (() => void) | undefined;
    const done = new Promise<'elapsed' | 'interrupted'>((resolve) => {
      if (deadline !== Infinity) timer = setTimeout(() => resolve('elapsed'), Math.max(0, deadline - Date.now()));
      interrupted = () => resolve('interrupted');
      this.interrupt = interrupted;
    });
    const cancel = () => {
      clearTimeout(timer);
      if (this.interrupt === interrupted) this.interrupt = undefined;
    };
    void done.then(cancel);
    return { done, cancel };
  }

  finish(): Promise<RecordingOutcome> {
    this.finishing ??= this.flush();
    return this.finishing;
  }

  private async flush(): Promise<RecordingOutcome> {
    this.room = undefined;
    this.recordings.forget(this.wake);
    if (this.stopped === undefined) this.seal();
    this.flushStartedAt = Date.now();
    this.interrupt?.();
    while (this.pumping) await this.pumping;
    this.recordings.offDeadline(this.interruptWait);
    const lost = this.queue.length;
    for (const left of this.queue.splice(0)) this.free(left.heldBytes);
    this.recordings.open -= 1;
    const reason = this.stopped ?? (lost > 0 ? `the recording storage is unavailable: ${lost} chunk(s) could not be stored in time` : undefined);
    const outcome: RecordingOutcome = {
      recordingId: this.grant.recordingId,
      state: reason === undefined ? 'recorded' : 'incomplete',
      ...(reason !== undefined ? { reason } : {}),
      chunks: this.storedChunks,
      bytes: this.storedBytes,
    };
    logger.info('recording ended', { recording: this.grant.recordingId, state: outcome.state, chunks: outcome.chunks, bytes: outcome.bytes });
    return outcome;
  }
}
