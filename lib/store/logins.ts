import type { LoginFailuresRecord, PrincipalRecord, TenantRecord } from '../records.js';
import { tableName } from './client.js';
import { absent, all, live, placeholders } from './expressions.js';
import { deleteIf, getItems, putItem, updateItem } from './items.js';
import { keys, recordOf, type Key } from './keys.js';
import { putRequest, type DeleteRequest, type UpdateRequest } from './requests.js';

/**
 * Where failed authentications are counted: under a login user name (`loginFailuresOf`) or under a guest user
 * of one VM (`guestFailuresOf`). One lockout policy (lib/core/sessions.ts) counts both.
 */
export type FailureCounter = Key<LoginFailuresRecord>;

export const loginFailuresOf = (tenantId: string, userName: string): FailureCounter => keys.loginFailures(tenantId, userName);

/**
 * What a login needs, in one BatchGetItem: the tenant's profile (a tenant being deleted refuses logins), the
 * principal and its recent failed logins (under the user name's own key, off the tenant's partition).
 */
export async function getPrincipalForLogin(
  tenantId: string,
  userName: string,
): Promise<{ tenant?: TenantRecord; principal?: PrincipalRecord; failures?: LoginFailuresRecord }> {
  const [tenant, principal, failures] = await getItems([
    keys.tenant(tenantId),
    keys.principal(tenantId, userName),
    keys.loginFailures(tenantId, userName),
  ]);
  return { tenant, principal, failures };
}

/** The principal and its tenant's profile again, in one BatchGetItem (a login's last check). */
export async function getPrincipalAndTenant(
  tenantId: string,
  userName: string,
): Promise<{ tenant?: TenantRecord; principal?: PrincipalRecord }> {
  const [tenant, principal] = await getItems([keys.tenant(tenantId), keys.principal(tenantId, userName)]);
  return { tenant, principal };
}

/** One more failure inside the current window; fails its condition once the window has expired. */
export function countFailureRequest(counter: FailureCounter, windowEnd: number): UpdateRequest<LoginFailuresRecord> {
  const update = 'SET #failures = if_not_exists(#failures, :zero) + :one, #expiresAt = if_not_exists(#expiresAt, :windowEnd)';
  const condition = `${absent} OR ${live}`;
  return {
    TableName: tableName(),
    Key: counter,
    UpdateExpression: update,
    ConditionExpression: condition,
    ...placeholders([update, condition], { zero: 0, one: 1, windowEnd }),
    ReturnValues: 'ALL_NEW',
  };
}

/**
 * Counts one failure atomically inside the current window; a window that has expired (but not been swept)
 * starts over. @returns the live record after the count.
 */
export async function countFailure(counter: FailureCounter, windowEnd: number): Promise<LoginFailuresRecord> {
  const counted = await updateItem(countFailureRequest(counter, windowEnd));
  if (counted) return recordOf<LoginFailuresRecord>(counted)!;
  const fresh: LoginFailuresRecord = { failures: 1, expiresAt: windowEnd };
  await putItem(putRequest(counter, fresh));
  return fresh;
}

/** Locks the counter's name until `lockedUntil` (the record then lives exactly that long). */
export const lockFailuresRequest = (counter: FailureCounter, record: LoginFailuresRecord, lockedUntil: number) =>
  putRequest(counter, { ...record, lockedUntil, expiresAt: lockedUntil });

export async function lockFailures(counter: FailureCounter, record: LoginFailuresRecord, lockedUntil: number): Promise<void> {
  await putItem(lockFailuresRequest(counter, record, lockedUntil));
}

/**
 * Clears the failures a successful login saw, and only those: the same window (its `expiresAt`), the same
 * count, and no lock. A failure counted or a lock written while the password was being checked keeps the
 * item, so a correct login racing a burst of wrong ones cannot erase the lockout they earned.
 */
export function clearFailuresRequest(
  counter: FailureCounter,
  seen: Pick<LoginFailuresRecord, 'failures' | 'expiresAt'>,
): DeleteRequest<LoginFailuresRecord> {
  const sameWindow = '#expiresAt = :seenExpiresAt';
  const sameCount = '#failures = :seenFailures';
  const unlocked = 'attribute_not_exists(#lockedUntil)';
  const condition = all(sameWindow, sameCount, unlocked);
  return {
    TableName: tableName(),
    Key: counter,
    ConditionExpression: condition,
    ...placeholders([condition], { seenExpiresAt: seen.expiresAt, seenFailures: seen.failures }),
  };
}

/** @returns whether the item was cleared. */
export async function clearFailures(counter: FailureCounter, seen: Pick<LoginFailuresRecord, 'failures' | 'expiresAt'>): Promise<boolean> {
  return deleteIf(clearFailuresRequest(counter, seen));
}
