/**
 * The one source of "now" for expiry decisions, so tests can move time without fake timers leaking into
 * the AWS SDK's own retry timers.
 */
let offsetMs = 0;

export const nowMs = (): number => Date.now() + offsetMs;
export const nowSeconds = (): number => Math.floor(nowMs() / 1000);
/** "Now" as the ISO 8601 timestamp records carry. */
export const isoNow = (): string => new Date(nowMs()).toISOString();

/** Test hook: shift the clock forward (or back) by `ms`. */
export const advanceClock = (ms: number): void => {
  offsetMs += ms;
};
export const resetClock = (): void => {
  offsetMs = 0;
};
