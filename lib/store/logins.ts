import type { LoginFailuresRecord, PrincipalRecord, TenantRecord } from '../records.js';
import { tableName } from './client.js';
import { absent, all, live, placeholders } from './expressions.js';
import { deleteIf, getItem, getItems, putItem, updateItem } from './items.js';
import { keys, recordOf, type Key } from './keys.js';
import { putRequest, type DeleteRequest, type PutRequest, type UpdateRequest } from './requests.js';

/**
 * Where failed authentications are counted: under a login user name (`loginFailuresOf`) or under a guest user
 * of one VM (`guestFailuresOf`). One lockout policy (lib/core/sessions.ts) counts both.
 */
export type FailureCounter = Key<LoginFailuresRecord>;

export const loginFailuresOf = (tenantId: string, userName: string): FailureCounter => keys.loginFailures(tenantId, userName);

/** The principal and its tenant's profile, in one BatchGetItem (a login reads them before and after the password). */
export async function getPrincipalAndTenant(
  tenantId: string,
  userName: string,
): Promise<{ tenant?: TenantRecord; principal?: PrincipalRecord }> {
  const [tenant, principal] = await getItems([keys.tenant(tenantId), keys.principal(tenantId, userName)]);
  return { tenant, principal };
}

/**
 * Reserves one password check under the counter: fails its condition while the name is locked or
 * `maxAttempts` checks are already failed or under way in the live window. An absent counter starts one.
 */
export function reserveAttemptRequest(counter: FailureCounter, windowEnd: number, maxAttempts: number): UpdateRequest<LoginFailuresRecord> {
  const update =
    'SET #attempts = if_not_exists(#attempts, :zero) + :one, #failures = if_not_exists(#failures, :zero), #expiresAt = if_not_exists(#expiresAt, :windowEnd)';
  const open = 'attribute_not_exists(#lockedUntil) AND (attribute_not_exists(#attempts) OR #attempts < :maxAttempts)';
  const condition = `${absent} OR (${live} AND ${open})`;
  return {
    TableName: tableName(),
    Key: counter,
    UpdateExpression: update,
    ConditionExpression: condition,
    ...placeholders([update, condition], { zero: 0, one: 1, windowEnd, maxAttempts }),
    ReturnValues: 'ALL_NEW',
  };
}

/** A new window holding one reservation, in place of one that has ended but not been swept. */
export function startWindowRequest(counter: FailureCounter, windowEnd: number): PutRequest<LoginFailuresRecord> {
  const ended = `${absent} OR NOT (${live})`;
  return { ...putRequest(counter, { failures: 0, attempts: 1, expiresAt: windowEnd }), ConditionExpression: ended, ...placeholders([ended]) };
}

/** A reservation, or why there is none: the name is locked, or its checks are all spoken for. */
export type AttemptReservation = { reserved: LoginFailuresRecord } | 'locked' | 'busy';

/** Reserves one password check atomically (see `reserveAttemptRequest`); the record is the counter after it. */
export async function reserveAttempt(counter: FailureCounter, windowEnd: number, maxAttempts: number): Promise<AttemptReservation> {
  for (let tries = 0; tries < 3; tries += 1) {
    const reserved = await updateItem(reserveAttemptRequest(counter, windowEnd, maxAttempts));
    if (reserved) return { reserved: recordOf<LoginFailuresRecord>(reserved)! };
    const current = await getItem(counter);
    // A live counter refused: locked (a lock is the record's whole remaining life), or every check taken.
    if (current) return current.lockedUntil !== undefined ? 'locked' : 'busy';
    // The window ended without being swept: a new one starts, unless a concurrent request just started it.
    if (await putItem(startWindowRequest(counter, windowEnd))) return { reserved: { failures: 0, attempts: 1, expiresAt: windowEnd } };
  }
  return 'busy';
}

/** Gives back a reservation whose password was not refused (accepted, or never checked). */
export function releaseAttemptRequest(counter: FailureCounter): UpdateRequest<LoginFailuresRecord> {
  const update = 'SET #attempts = #attempts - :one';
  const condition = `${live} AND #attempts > :zero`;
  return {
    TableName: tableName(),
    Key: counter,
    UpdateExpression: update,
    ConditionExpression: condition,
    ...placeholders([update, condition], { zero: 0, one: 1 }),
  };
}

export async function releaseAttempt(counter: FailureCounter): Promise<void> {
  await updateItem(releaseAttemptRequest(counter));
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
  const fresh: LoginFailuresRecord = { failures: 1, attempts: 1, expiresAt: windowEnd };
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
 * Clears the counter a successful login saw, and only that: the same window (its `expiresAt`), the same
 * failures and reservations, and no lock. A failure counted, a check reserved or a lock written while the
 * password was being checked keeps the item, so a correct login racing a burst of wrong ones cannot erase
 * the lockout they earned nor the reservations they hold.
 */
export function clearFailuresRequest(
  counter: FailureCounter,
  seen: Pick<LoginFailuresRecord, 'failures' | 'expiresAt' | 'attempts'>,
): DeleteRequest<LoginFailuresRecord> {
  const sameWindow = '#expiresAt = :seenExpiresAt';
  const sameCount = '#failures = :seenFailures';
  const sameAttempts = '#attempts = :seenAttempts';
  const unlocked = 'attribute_not_exists(#lockedUntil)';
  const condition = all(sameWindow, sameCount, sameAttempts, unlocked);
  return {
    TableName: tableName(),
    Key: counter,
    ConditionExpression: condition,
    ...placeholders([condition], { seenExpiresAt: seen.expiresAt, seenFailures: seen.failures, seenAttempts: seen.attempts ?? 0 }),
  };
}

/** @returns whether the item was cleared. */
export async function clearFailures(counter: FailureCounter, seen: Pick<LoginFailuresRecord, 'failures' | 'expiresAt' | 'attempts'>): Promise<boolean> {
  return deleteIf(clearFailuresRequest(counter, seen));
}
