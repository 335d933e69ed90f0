import type { SessionRecord, TenantRecord, VmRecord } from '../records.js';
import { scopeKey } from '../protocol/secrets.js';
import { all, exists, live } from './expressions.js';
import { deleteItem, deleteItems, getItems, putItem, updateIf } from './items.js';
import { keys, SK, type Key } from './keys.js';
import { keysIn } from './paging.js';
import { deleteRequest, putRequest, updateRequest, type UpdateRequest } from './requests.js';

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
export const touchSessionRequest = (session: SessionRecord, expiresAt: number, lastAccessedAt: string): UpdateRequest<SessionRecord> =>
  updateRequest(keyOfRecord(session), 'SET #expiresAt = :expiresAt, #lastAccessedAt = :lastAccessedAt', {
    condition: all(exists, live),
    values: { expiresAt, lastAccessedAt },
  });

/** @returns false if the session ended meanwhile. */
export const touchSession = (session: SessionRecord, expiresAt: number, lastAccessedAt: string): Promise<boolean> =>
  updateIf(touchSessionRequest(session, expiresAt, lastAccessedAt));

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
