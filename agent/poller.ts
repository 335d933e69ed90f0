/**
 * The agent's HTTP fallback: a heartbeat every `heartbeatIntervalMs` ("VMware Tools is running") and claim
 * polls, fast again after work and slower while idle (the shared backoff without jitter, up to a ceiling),
 * so an idle VM costs the API a call every few seconds rather than two a second.
 */
import { Backoff } from './backoff.js';

export interface PollerOptions {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  heartbeatIntervalMs: number;
  heartbeat: () => Promise<void>;
  /** Claims and handles what waits; resolves to how many items it took. */
  claimWaiting: () => Promise<number>;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export class Poller {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly idle: Backoff;
  private running = false;

  constructor(private readonly options: PollerOptions) {
    this.idle = new Backoff({ baseMs: options.pollIntervalMs, capMs: options.maxPollIntervalMs, jitter: false });
  }

  get active(): boolean {
    return this.running;
  }

  start(reason: string): void {
    if (this.running) return;
    this.running = true;
    const { pollIntervalMs, maxPollIntervalMs, heartbeatIntervalMs } = this.options;
    this.options.log(`polling for work over HTTP (every ${pollIntervalMs}–${maxPollIntervalMs} ms): ${reason}`, { transport: 'poll' });
    this.idle.reset();
    this.loop('heartbeat', () => this.options.heartbeat(), () => heartbeatIntervalMs);
    this.loop('poll', () => this.options.claimWaiting(), (taken) => {
      // Fast again after work (or a failed poll's recovery); doubling while idle, up to the ceiling.
      if (taken) this.idle.reset();
      return taken ? pollIntervalMs : this.idle.next();
    });
  }

  stop(): void {
    this.running = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private loop(name: string, task: () => Promise<unknown>, nextDelayMs: (result: unknown) => number): void {
    const tick = async () => {
      if (!this.running) return;
      const result = await task().catch((error: unknown) => this.options.log('agent call failed', { error: String(error) }));
      if (this.running) this.timers.set(name, setTimeout(tick, nextDelayMs(result)));
    };
    void tick();
  }
}
