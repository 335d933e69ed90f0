/** The agent's one backoff: its windows, its reset, and retry's rules (attempts, what is retried, stopping). */
import { describe, expect, it } from 'vitest';
import { Backoff, retry } from '../../agent/backoff.js';

describe('Backoff', () => {
  it('without jitter: the window itself, doubling to the cap, short again after a reset', () => {
    const backoff = new Backoff({ baseMs: 10, capMs: 160, jitter: false });
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next())).toEqual([10, 20, 40, 80, 160, 160]);
    expect(backoff.attempts).toBe(6);
    backoff.reset();
    expect(backoff.next()).toBe(10);
  });

  it('with full jitter (the default): drawn from [0, window)', () => {
    const top = new Backoff({ baseMs: 1000, capMs: 5000, random: () => 0.999999 });
    expect([1, 2, 3, 4].map(() => top.next())).toEqual([999, 1999, 3999, 4999]);
    expect(new Backoff({ baseMs: 1000, capMs: 5000, random: () => 0 }).next()).toBe(0);
  });
});

describe('retry', () => {
  const failing = (times: number, error: unknown = new Error('down')) => {
    let calls = 0;
    return { task: async () => (++calls <= times ? Promise.reject(error) : 'done'), calls: () => calls };
  };

  it('tries until the task succeeds, telling each retry and its delay', async () => {
    const { task, calls } = failing(3);
    const heard: number[] = [];
    expect(await retry(task, { delayMs: () => 1, onRetry: (_error, delay) => heard.push(delay) })).toBe('done');
    expect(calls()).toBe(4);
    expect(heard).toEqual([1, 1, 1]);
  });

  it('gives up after its attempts, or at once for an error not worth retrying, with the last error', async () => {
    await expect(retry(failing(10).task, { delayMs: () => 1, attempts: 3 })).rejects.toThrow('down');
    const fatal = failing(10, new Error('refused'));
    await expect(retry(fatal.task, { delayMs: () => 1, retryable: () => false })).rejects.toThrow('refused');
    expect(fatal.calls()).toBe(1);
  });

  it('stops waiting at once when aborted', async () => {
    const stopping = new AbortController();
    const { task, calls } = failing(Infinity);
    // Aborted while it waits a minute before the second try.
    const tried = retry(task, { delayMs: () => 60_000, signal: stopping.signal, onRetry: () => setImmediate(() => stopping.abort()) });
    await expect(tried).rejects.toThrow('down');
    expect(calls()).toBe(1);
  });
});
