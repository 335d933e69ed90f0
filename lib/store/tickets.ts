import type { TicketRecord } from '../records.js';
import { keysUnder } from './client.js';
import { deleteItem, deleteItems, deleteRequest, getItem, putItem, putRequest } from './items.js';
import { keys, SK, type Key } from './keys.js';

/** A 256-bit secret never collides; the condition only guarantees a ticket is never overwritten. */
export const ticketPutRequest = (ticket: TicketRecord) =>
  putRequest(keys.ticket(ticket.tenantId, ticket.ticketHash), ticket, { ifAbsent: true });

export async function putTicket(ticket: TicketRecord): Promise<void> {
  await putItem(ticketPutRequest(ticket));
}

/**
 * One-time redemption in exactly one round trip: a DeleteItem that only succeeds while the ticket exists,
 * is unexpired and grants what the redeemer serves. Of any number of concurrent callers exactly one gets the
 * item back; the others meet the condition failure, which means the same as an unknown ticket.
 */
export const redemptionRequest = (tenantId: string, ticketHash: string, grants: string) =>
  deleteRequest(keys.ticket(tenantId, ticketHash), { onlyIfLive: true, matching: { grants } });

export const redeemTicket = (tenantId: string, ticketHash: string, grants: string): Promise<TicketRecord | undefined> =>
  deleteItem(redemptionRequest(tenantId, ticketHash, grants));

/** Reads a ticket without consuming it (Nova's os-console-auth-tokens). */
export const peekTicket = (tenantId: string, ticketHash: string): Promise<TicketRecord | undefined> =>
  getItem(keys.ticket(tenantId, ticketHash));

/**
 * Revokes every outstanding ticket for a VM (it was deleted, or its console moved): a ticket must never open
 * whatever takes the VM's place. An operator action, so a partition query is acceptable.
 */
export async function deleteTicketsOf(tenantId: string, moId: string): Promise<void> {
  await deleteItems(await ticketKeysOf(tenantId, moId));
}

export const ticketKeysOf = (tenantId: string, moId: string): Promise<Key[]> => keysUnder(tenantId, SK.ticketPrefix, { vmMoId: moId });

/** Revokes every outstanding ticket issued to a user (the user was changed or deleted). */
export async function deleteTicketsIssuedTo(tenantId: string, userName: string): Promise<void> {
  await deleteItems(await keysUnder(tenantId, SK.ticketPrefix, { issuedTo: userName }));
}
