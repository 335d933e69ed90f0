import { BatchGetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Unavailable } from '../core/errors.js';
import type { SessionRecord, VmRecord } from '../core/model.js';
import { client, isConditionFailure, isExpired, notExpired, nowValue, queryAll, send, tableName } from './client.js';
import { deleteItem, deleteItems, getItem, putItem } from './items.js';
import { keys, recordOf, SK, type Key } from './keys.js';

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
  const sessionKey = keys.session(tenantId, sessionHash);
  const vmKey = keys.vm(tenantId, moId);
  const items = await batchGet([sessionKey, vmKey]);
  const sessionItem = items.find((item) => item.sk === sessionKey.sk);
  const vmItem = items.find((item) => item.sk === vmKey.sk);
  return {
    session: isExpired(sessionItem) ? undefined : recordOf<SessionRecord>(sessionItem),
    vm: recordOf<VmRecord>(vmItem),
  };
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
  const sessions = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    FilterExpression: 'userName = :userName',
    ExpressionAttributeValues: { ':pk': keys.tenantPartition(tenantId), ':prefix': SK.sessionPrefix, ':userName': userName },
    ProjectionExpression: 'pk, sk',
  });
  await deleteItems(sessions.map((item) => ({ pk: String(item.pk), sk: String(item.sk) })));
}

export async function batchGet(requestKeys: Key[]): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  let pending: Record<string, unknown>[] = requestKeys.map(({ pk, sk }) => ({ pk, sk }));
  for (let attempt = 0; pending.length > 0 && attempt < 4; attempt += 1) {
    const { Responses, UnprocessedKeys } = await send(() =>
      client().send(new BatchGetCommand({ RequestItems: { [tableName()]: { Keys: pending } } })),
    );
    found.push(...(Responses?.[tableName()] ?? []));
    pending = UnprocessedKeys?.[tableName()]?.Keys ?? [];
  }
  if (pending.length > 0) throw Unavailable('The data service is throttling reads; retry later.');
  return found;
}
