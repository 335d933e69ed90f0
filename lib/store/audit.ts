import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ConsoleSessionRecord } from '../core/audit.js';
import { client, isConditionFailure, isExpired, queryPartitionPrefix, send, tableName } from './client.js';
import { keys, recordOf, SK } from './keys.js';

/**
 * Writes one console session's audit record. The key carries the proxy's session id, so a proxy that
 * retries after a lost response finds its own record already there: `false`, not a second copy.
 */
export async function putConsoleSession(record: ConsoleSessionRecord): Promise<boolean> {
  try {
    await send(() =>
      client().send(
        new PutCommand({
          TableName: tableName(),
          Item: { ...keys.consoleAudit(record.tenantId, record.startedAt, record.sessionId), ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** A tenant's console sessions, oldest first (the sort key starts with the start time). */
export async function listConsoleSessions(tenantId: string): Promise<ConsoleSessionRecord[]> {
  const items = await queryPartitionPrefix(tenantId, SK.consoleAuditPrefix);
  return items
    .filter((item) => !isExpired(item as { expiresAt?: number }))
    .map((item) => recordOf<ConsoleSessionRecord>(item)!);
}
