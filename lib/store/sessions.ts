import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { client, isConditionFailure, keysUnder, notExpired, nowValue, send, tableName } from './client.js';
import { deleteItem, deleteItems, getItem, getItems, putItem } from './items.js';
import { keys, SK } from './keys.js';
import type { SessionRecord, VmRecord } from '../records.js';

export async function putSession(session: SessionRecord): Promise<void> {
  await putItem(keys.session(session.tenantId, session.sessionHash), session, { ifAbsent: true });
}

export const getSession = (tenantId: string, sessionHash: string): Promise<SessionRecord | undefined> =>
  getItem<SessionRecord>(keys.session(tenantId, sessionHash));

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
  return { session: session as SessionRecord | undefined, vm: vm as VmRecord | undefined };
}

/** Pushes the idle deadline forward; refuses (returns false) if the session ended meanwhile. */
export async function touchSession(
  tenantId: string,
  sessionHash: string,
  expiresAt: number,
  lastAccessedAt: string,
): Promise<boolean> {
  try {
    await send(() =>
      client().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.session(tenantId, sessionHash),
          UpdateExpression: 'SET #expiresAt = :expiresAt, lastAccessedAt = :lastAccessedAt',
          ConditionExpression: `attribute_exists(pk) AND ${notExpired.expression}`,
          ExpressionAttributeNames: notExpired.names,
          ExpressionAttributeValues: { ...nowValue(), ':expiresAt': expiresAt, ':lastAccessedAt': lastAccessedAt },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** @returns whether a live session was ended. */
export async function deleteSession(tenantId: string, sessionHash: string): Promise<boolean> {
  return (await deleteItem(keys.session(tenantId, sessionHash), { onlyIfLive: true })) !== undefined;
}

/**
 * Ends every session of one user (after the user is deleted or its password or privileges change: sessions
 * carry the privileges granted at login). An operator action, so a partition query is acceptable.
 */
export async function deleteSessionsOf(tenantId: string, userName: string): Promise<void> {
  await deleteItems(await keysUnder(tenantId, SK.sessionPrefix, { userName }));
}
