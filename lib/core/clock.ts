/**
 * The one source of "now" for expiry decisions, so tests can move time without fake timers leaking into
 * the AWS SDK's own retry timers.
 */
let offsetMs = 0;

export const nowMs = (): number => Date.now() + offsetMs;
export const nowSeconds = (): number => Math.floor(nowMs() / 1000);

/** Test hook: shift the clock forward (or back) by `ms`. */
export const advanceClock = (ms: number): void => {
  offsetMs += ms;
};
export const resetClock = (): void => {
  offsetMs = 0;
};
