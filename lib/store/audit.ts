import { isExpired, queryPartitionPrefix } from './client.js';
import { putItem } from './items.js';
import { keys, recordOf, SK } from './keys.js';
import type { ConsoleSessionRecord } from '../records.js';

/**
 * Writes one console session's audit record. The key carries the proxy's session id, so a proxy that
 * retries after a lost response finds its own record already there: `false`, not a second copy.
 */
export const putConsoleSession = (record: ConsoleSessionRecord): Promise<boolean> =>
  putItem(keys.consoleAudit(record.tenantId, record.startedAt, record.sessionId), record, { ifAbsent: true });

/** A tenant's console sessions, oldest first (the sort key starts with the start time). */
export async function listConsoleSessions(tenantId: string): Promise<ConsoleSessionRecord[]> {
  const items = await queryPartitionPrefix(tenantId, SK.consoleAuditPrefix);
  return items
    .filter((item) => !isExpired(item as { expiresAt?: number }))
    .map((item) => recordOf<ConsoleSessionRecord>(item)!);
}
