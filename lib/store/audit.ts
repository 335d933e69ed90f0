import type { ConsoleSessionRecord } from '../records.js';
import { recordsUnder } from './client.js';
import { putItem, putRequest } from './items.js';
import { keys, SK } from './keys.js';

/**
 * Writes one console session's audit record. The key carries the proxy's session id, so a proxy that
 * retries after a lost response finds its own record already there: `false`, not a second copy.
 */
export const putConsoleSession = (record: ConsoleSessionRecord): Promise<boolean> =>
  putItem(putRequest(keys.consoleAudit(record.tenantId, record.startedAt, record.sessionId), record, { ifAbsent: true }));

/** A tenant's console sessions, oldest first (the sort key starts with the start time). */
export const listConsoleSessions = (tenantId: string): Promise<ConsoleSessionRecord[]> =>
  recordsUnder<ConsoleSessionRecord>(tenantId, SK.consoleAuditPrefix);
