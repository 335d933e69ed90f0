import type { ConsoleSessionReport } from '../lib/protocol/console-proxy.js';
import { ApiUnavailable, type ConsoleBrokerApi } from './api.js';
import type { ConsoleSessions } from './capacity.js';
import { errorSummary, logger } from './log.js';

/** Sends an ended session's audit record (once it is known: a recording may still be storing); closing the proxy waits for it. */
export function recordSession(api: ConsoleBrokerApi, sessions: ConsoleSessions, report: ConsoleSessionReport | Promise<ConsoleSessionReport>): void {
  const audit = Promise.resolve(report).then(
    (known) => sendReport(api, known),
    (error: unknown) => logger.error('audit record lost', { error: errorSummary(error).message }),
  );
  sessions.audits.add(audit);
  void audit.finally(() => sessions.audits.delete(audit));
}

async function sendReport(api: ConsoleBrokerApi, report: ConsoleSessionReport): Promise<void> {
  // Retried: the API stores the report once per session id, so a repeat after a lost answer is harmless.
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      return await api.recordSession(report);
    } catch (error) {
      if (attempt === 3 || !(error instanceof ApiUnavailable)) {
        logger.error('audit record lost', { session: report.sessionId, error: errorSummary(error).message });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}
