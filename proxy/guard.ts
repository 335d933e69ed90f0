import { errorSummary, logger } from './log.js';

/**
 * Wraps one entry point of the proxy (an HTTP request, an upgrade, a console session) so that nothing it
 * throws or rejects escapes into the process: the error is logged without its input (see `errorSummary`)
 * and the client gets `fallback`'s answer. Bad input is refused before it gets here; this is for bugs.
 */
export function guarded<A extends unknown[]>(
  entry: string,
  handler: (...args: A) => void | Promise<void>,
  fallback: (...args: A) => void,
): (...args: A) => void {
  const fail = (args: A, error: unknown) => {
    logger.error('console proxy request failed', { entry, error: errorSummary(error) });
    try {
      fallback(...args);
    } catch (fallbackError) {
      logger.error('console proxy could not answer', { entry, error: errorSummary(fallbackError) });
    }
  };
  return (...args: A) => {
    try {
      const result = handler(...args);
      if (result instanceof Promise) result.catch((error: unknown) => fail(args, error));
    } catch (error) {
      fail(args, error);
    }
  };
}
