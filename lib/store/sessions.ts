import type { SessionRecord, VmRecord } from '../records.js';
import { keysUnder, tableName } from './client.js';
import { all, exists, live, placeholders } from './expressions.js';
import { deleteItem, deleteItems, deleteRequest, getItem, getItems, putItem, putRequest, updateItem, type UpdateRequest } from './items.js';
import { keys, SK } from './keys.js';

export async function putSession(session: SessionRecord): Promise<void> {
  await putItem(putRequest(keys.session(session.tenantId, session.sessionHash), session, { ifAbsent: true }));
}

export const getSession = (tenantId: string, sessionHash: string): Promise<SessionRecord | undefined> =>
  getItem(keys.session(tenantId, sessionHash));

/**
 * The hot path's single read: the session and the VM it is about, from the same tenant partition, in one
 * BatchGetItem. An expired session counts as absent.
 */
export async function getSessionAndVm(
  tenantId: string,
  sessionHash: string,
  moId: string,
): Promise<{ session?: SessionRecord; vm?: VmRecord }> {
  const [session, vm] = await getItems([keys.session(tenantId, sessionHash), keys.vm(tenantId, moId)]);
  return { session, vm };
}

/** Pushes the idle deadline forward, but only while the session is live. */
export function touchSessionRequest(
  tenantId: string,
  sessionHash: string,
  expiresAt: number,
  lastAccessedAt: string,
): UpdateRequest<SessionRecord> {
  const update = 'SET #expiresAt = :expiresAt, #lastAccessedAt = :lastAccessedAt';
  const condition = all(exists, live);
  return {
    TableName: tableName(),
    Key: keys.session(tenantId, sessionHash),
    UpdateExpression: update,
    ConditionExpression: condition,
    ...placeholders([update, condition], { expiresAt, lastAccessedAt }),
  };
}

/** @returns false if the session ended meanwhile. */
export async function touchSession(
  tenantId: string,
  sessionHash: string,
  expiresAt: number,
  lastAccessedAt: string,
): Promise<boolean> {
  return (await updateItem(touchSessionRequest(tenantId, sessionHash, expiresAt, lastAccessedAt))) !== undefined;
}

/** @returns whether a live session was ended. */
export async function deleteSession(tenantId: string, sessionHash: string): Promise<boolean> {
  return (await deleteItem(deleteRequest(keys.session(tenantId, sessionHash), { onlyIfLive: true }))) !== undefined;
}

/**
 * Ends every session of one user (after the user is deleted or its password or privileges change: sessions
 * carry the privileges granted at login). An operator action, so a partition query is acceptable.
 */
export async function deleteSessionsOf(tenantId: string, userName: string): Promise<void> {
  await deleteItems(await keysUnder(tenantId, SK.sessionPrefix, { userName }));
}
