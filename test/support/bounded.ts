/**
 * Runs `task` for 0..count-1 with at most `inFlight` running at once and returns the results in order, so a
 * 1,000-way test stays 1,000 concurrent operations without queueing 1,000 requests on a busy 2-core machine.
 */
export async function boundedAll<T>(count: number, inFlight: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  return results;
}
