import type { SessionRecord, TenantRecord, VmRecord } from '../records.js';
import { scopeKey } from '../protocol/secrets.js';
import { keysIn, tableName } from './client.js';
import { all, exists, live, placeholders } from './expressions.js';
import { deleteItem, deleteItems, deleteRequest, getItems, putItem, putRequest, updateItem, type UpdateRequest } from './items.js';
import { keys, SK, type Key } from './keys.js';

/** A session as its id names it: tenant, `scopeKey` of the user name, SHA-256 of the secret. */
export interface SessionRef {
  tenantId: string;
  userKey: string;
  sessionHash: string;
}

const sessionKey = ({ tenantId, userKey, sessionHash }: SessionRef): Key<SessionRecord> => keys.session(tenantId, userKey, sessionHash);
const keyOfRecord = (session: SessionRecord) =>
  keys.session(session.tenantId, scopeKey(session.userName), session.sessionHash);

export async function putSession(session: SessionRecord): Promise<void> {
  await putItem(putRequest(keyOfRecord(session), session, { ifAbsent: true }));
}

/**
 * The hot path's single read: the session, its tenant's profile (a tenant being deleted refuses its
 * sessions) and the VM the request is about, if any, in one BatchGetItem. Absent or expired items are
 * undefined.
 */
export async function getSessionAndVm(
  ref: SessionRef,
  moId?: string,
): Promise<{ tenant?: TenantRecord; session?: SessionRecord; vm?: VmRecord }> {
  const vmKey = moId === undefined ? [] : [keys.vm(ref.tenantId, moId)];
  const [tenant, session, vm] = await getItems([keys.tenant(ref.tenantId), sessionKey(ref), ...vmKey]);
  return { tenant, session, vm };
}

/** Pushes the idle deadline forward, but only while the session is live. */
export function touchSessionRequest(
  session: SessionRecord,
  expiresAt: number,
  lastAccessedAt: string,
): UpdateRequest<SessionRecord> {
  const update = 'SET #expiresAt = :expiresAt, #lastAccessedAt = :lastAccessedAt';
  const condition = all(exists, live);
  return {
    TableName: tableName(),
    Key: keyOfRecord(session),
    UpdateExpression: update,
    ConditionExpression: condition,
    ...placeholders([update, condition], { expiresAt, lastAccessedAt }),
  };
}

/** @returns false if the session ended meanwhile. */
export async function touchSession(session: SessionRecord, expiresAt: number, lastAccessedAt: string): Promise<boolean> {
  return (await updateItem(touchSessionRequest(session, expiresAt, lastAccessedAt))) !== undefined;
}

/** @returns whether a live session was ended. */
export async function deleteSession(ref: SessionRef): Promise<boolean> {
  return (await deleteItem(deleteRequest(sessionKey(ref), { onlyIfLive: true }))) !== undefined;
}

/**
 * Revokes a user exactly (it was deleted, or its password or privileges changed: sessions carry the
 * privileges granted at login): one Query of the user's own partition finds its sessions and the pointers
 * to the tickets it was issued; those, the tickets and the pointers are deleted, expired leftovers too.
 * Nobody else's items are read.
 */
export async function revokeUser(tenantId: string, userName: string): Promise<void> {
  const found = await keysIn(keys.userPartition(tenantId, userName));
  const tickets = found.filter((key) => key.sk.startsWith(SK.ticketPointerPrefix)).map((key) => keys.ticketOfPointer(tenantId, key.sk));
  // Tickets first: a failure half-way leaves the pointers for a retry to find them by.
  await deleteItems(tickets);
  await deleteItems(found);
}
