/**
 * Waits for a condition, not for a time: calls `probe` until it returns something other than undefined or
 * false, and returns that. The deadline is generous on purpose (a busy CI machine can be many times slower
 * than an idle one); it only turns a hang into a failure that says what never happened.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  { timeoutMs = 90_000, intervalMs = 50 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
