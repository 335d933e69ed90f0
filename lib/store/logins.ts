import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { client, isConditionFailure, notExpired, nowValue, send, tableName } from './client.js';
import { getItems, putItem } from './items.js';
import { keys, recordOf } from './keys.js';
import type { LoginFailuresRecord, PrincipalRecord } from '../records.js';

/** What a login needs, in one BatchGetItem: the principal and its recent failed logins. */
export async function getPrincipalForLogin(
  tenantId: string,
  userName: string,
): Promise<{ principal?: PrincipalRecord; failures?: LoginFailuresRecord }> {
  const [principal, failures] = await getItems([keys.principal(tenantId, userName), keys.loginFailures(tenantId, userName)]);
  return { principal: principal as PrincipalRecord | undefined, failures: failures as LoginFailuresRecord | undefined };
}

/**
 * Counts one failed login atomically inside the current window; a window that has expired (but not been
 * swept) starts over. @returns the live record after the count.
 */
export async function countLoginFailure(tenantId: string, userName: string, windowEnd: number): Promise<LoginFailuresRecord> {
  const key = keys.loginFailures(tenantId, userName);
  try {
    const { Attributes } = await send(() =>
      client().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: key,
          UpdateExpression:
            'SET failures = if_not_exists(failures, :zero) + :one, #expiresAt = if_not_exists(#expiresAt, :windowEnd), ' +
            'tenantId = :tenantId, userName = :userName',
          ConditionExpression: `attribute_not_exists(pk) OR ${notExpired.expression}`,
          ExpressionAttributeNames: notExpired.names,
          ExpressionAttributeValues: {
            ...nowValue(),
            ':zero': 0,
            ':one': 1,
            ':windowEnd': windowEnd,
            ':tenantId': tenantId,
            ':userName': userName,
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return recordOf<LoginFailuresRecord>(Attributes)!;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const fresh: LoginFailuresRecord = { tenantId, userName, failures: 1, expiresAt: windowEnd };
    await putItem(key, fresh);
    return fresh;
  }
}

/** Locks the user name until `lockedUntil` (the record then lives exactly that long). */
export async function lockLogin(record: LoginFailuresRecord, lockedUntil: number): Promise<void> {
  await putItem(keys.loginFailures(record.tenantId, record.userName), { ...record, lockedUntil, expiresAt: lockedUntil });
}

/**
 * Clears the failures a successful login saw, and only those: the same window (its `expiresAt`), the same
 * count, and no lock. A failure counted or a lock written while the password was being checked keeps the
 * item, so a correct login racing a burst of wrong ones cannot erase the lockout they earned.
 * @returns whether the item was cleared.
 */
export async function clearLoginFailures(
  tenantId: string,
  userName: string,
  seen: Pick<LoginFailuresRecord, 'failures' | 'expiresAt'>,
): Promise<boolean> {
  const sameWindow = '#expiresAt = :seenExpiresAt';
  const sameCount = 'failures = :seenFailures';
  const unlocked = 'attribute_not_exists(lockedUntil)';
  try {
    await send(() =>
      client().send(
        new DeleteCommand({
          TableName: tableName(),
          Key: keys.loginFailures(tenantId, userName),
          ConditionExpression: [sameWindow, sameCount, unlocked].join(' AND '),
          ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':seenExpiresAt': seen.expiresAt, ':seenFailures': seen.failures },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
