/**
 * The agent's one backoff: every wait that grows after a failure (or, for the poll, after an empty answer)
 * is one of these. A window starts at `baseMs` and doubles with each attempt up to `capMs`; with full jitter
 * (the default) the delay is drawn uniformly from the window, so a fleet of agents restarting together (an
 * API outage, a host reboot) does not come back in step; without, it is the window itself (the idle poll,
 * whose steps are its contract).
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Full jitter: a delay drawn uniformly from [0, min(cap, base × 2^attempt)). */
export const backoffDelayMs = (attempt: number, baseMs: number, capMs: number, random = Math.random): number =>
  Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Default true. */
  jitter?: boolean;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** How many delays were drawn since the last reset (failures in a row). */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; each call widens the window. */
  next(): number {
    const delayMs = this.delayFor(this.attempt);
    this.attempt += 1;
    return delayMs;
  }

  /** The delay of the `attempt`-th wait (0: the first), without counting it. */
  delayFor(attempt: number): number {
    const { baseMs, capMs, jitter = true, random } = this.options;
    return jitter ? backoffDelayMs(attempt, baseMs, capMs, random) : Math.min(capMs, baseMs * 2 ** attempt);
  }

  /** After a success: the next wait is the shortest again. */
  reset(): void {
    this.attempt = 0;
  }
}

/**
 * Runs `task` until it succeeds, `retryable` says no, or `attempts` are used up, waiting `delayMs(error)`
 * between tries (a backoff's next delay); the last error is thrown. `onRetry` hears each failure that is
 * retried and the wait before the next.
 */
export async function retry<T>(
  task: () => Promise<T>,
  options: {
    delayMs: (error: unknown) => number;
    attempts?: number;
    retryable?: (error: unknown) => boolean;
    onRetry?: (error: unknown, delayMs: number) => void;
    /** Aborting ends the waiting at once; the last error is thrown. */
    signal?: AbortSignal;
  },
): Promise<T> {
  const { delayMs, attempts = Infinity, retryable = () => true, onRetry, signal } = options;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await task();
    } catch (error) {
      if (attempt >= attempts || !retryable(error) || signal?.aborted) throw error;
      const delay = delayMs(error);
      onRetry?.(error, delay);
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      if (signal?.aborted) throw error;
    }
  }
}
