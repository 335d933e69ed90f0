import type { LoginFailuresRecord, PrincipalRecord } from '../records.js';
import { tableName } from './client.js';
import { absent, all, live, placeholders } from './expressions.js';
import { deleteIf, getItems, putItem, putRequest, updateItem, type DeleteRequest, type UpdateRequest } from './items.js';
import { keys, recordOf } from './keys.js';

/** What a login needs, in one BatchGetItem: the principal and its recent failed logins. */
export async function getPrincipalForLogin(
  tenantId: string,
  userName: string,
): Promise<{ principal?: PrincipalRecord; failures?: LoginFailuresRecord }> {
  const [principal, failures] = await getItems([keys.principal(tenantId, userName), keys.loginFailures(tenantId, userName)]);
  return { principal, failures };
}

/** One more failed login inside the current window; fails its condition once the window has expired. */
export function countLoginFailureRequest(tenantId: string, userName: string, windowEnd: number): UpdateRequest<LoginFailuresRecord> {
  const update =
    'SET #failures = if_not_exists(#failures, :zero) + :one, #expiresAt = if_not_exists(#expiresAt, :windowEnd), ' +
    '#tenantId = :tenantId, #userName = :userName';
  const condition = `${absent} OR ${live}`;
  return {
    TableName: tableName(),
    Key: keys.loginFailures(tenantId, userName),
    UpdateExpression: update,
    ConditionExpression: condition,
    ...placeholders([update, condition], { zero: 0, one: 1, windowEnd, tenantId, userName }),
    ReturnValues: 'ALL_NEW',
  };
}

/**
 * Counts one failed login atomically inside the current window; a window that has expired (but not been
 * swept) starts over. @returns the live record after the count.
 */
export async function countLoginFailure(tenantId: string, userName: string, windowEnd: number): Promise<LoginFailuresRecord> {
  const counted = await updateItem(countLoginFailureRequest(tenantId, userName, windowEnd));
  if (counted) return recordOf<LoginFailuresRecord>(counted)!;
  const fresh: LoginFailuresRecord = { tenantId, userName, failures: 1, expiresAt: windowEnd };
  await putItem(putRequest(keys.loginFailures(tenantId, userName), fresh));
  return fresh;
}

/** Locks the user name until `lockedUntil` (the record then lives exactly that long). */
export const lockLoginRequest = (record: LoginFailuresRecord, lockedUntil: number) =>
  putRequest(keys.loginFailures(record.tenantId, record.userName), { ...record, lockedUntil, expiresAt: lockedUntil });

export async function lockLogin(record: LoginFailuresRecord, lockedUntil: number): Promise<void> {
  await putItem(lockLoginRequest(record, lockedUntil));
}

/**
 * Clears the failures a successful login saw, and only those: the same window (its `expiresAt`), the same
 * count, and no lock. A failure counted or a lock written while the password was being checked keeps the
 * item, so a correct login racing a burst of wrong ones cannot erase the lockout they earned.
 */
export function clearLoginFailuresRequest(
  tenantId: string,
  userName: string,
  seen: Pick<LoginFailuresRecord, 'failures' | 'expiresAt'>,
): DeleteRequest<LoginFailuresRecord> {
  const sameWindow = '#expiresAt = :seenExpiresAt';
  const sameCount = '#failures = :seenFailures';
  const unlocked = 'attribute_not_exists(#lockedUntil)';
  const condition = all(sameWindow, sameCount, unlocked);
  return {
    TableName: tableName(),
    Key: keys.loginFailures(tenantId, userName),
    ConditionExpression: condition,
    ...placeholders([condition], { seenExpiresAt: seen.expiresAt, seenFailures: seen.failures }),
  };
}

/** @returns whether the item was cleared. */
export async function clearLoginFailures(
  tenantId: string,
  userName: string,
  seen: Pick<LoginFailuresRecord, 'failures' | 'expiresAt'>,
): Promise<boolean> {
  return deleteIf(clearLoginFailuresRequest(tenantId, userName, seen));
}
