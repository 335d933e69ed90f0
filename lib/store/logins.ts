import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LoginFailuresRecord, PrincipalRecord } from '../core/model.js';
import { client, isConditionFailure, notExpired, nowValue, send, tableName } from './client.js';
import { deleteItem, getItems, putItem } from './items.js';
import { keys, recordOf } from './keys.js';

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

export async function clearLoginFailures(tenantId: string, userName: string): Promise<void> {
  await deleteItem(keys.loginFailures(tenantId, userName));
}
