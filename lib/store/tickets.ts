import { keysUnder } from './client.js';
import { deleteItem, deleteItems, getItem, putItem } from './items.js';
import { keys, SK, type Key } from './keys.js';
import type { TicketRecord } from '../records.js';

export async function putTicket(ticket: TicketRecord): Promise<void> {
  // A 256-bit secret never collides; the condition only guarantees a ticket is never overwritten.
  await putItem(keys.ticket(ticket.tenantId, ticket.ticketHash), ticket, { ifAbsent: true });
}

/**
 * One-time redemption in exactly one round trip: a DeleteItem that only succeeds while the ticket exists
 * and is unexpired. Of any number of concurrent callers exactly one gets the item back; the others meet
 * the condition failure, which means the same as an unknown ticket.
 */
export const redeemTicket = (tenantId: string, ticketHash: string, grants: string): Promise<TicketRecord | undefined> =>
  deleteItem<TicketRecord>(keys.ticket(tenantId, ticketHash), { onlyIfLive: true, matching: { grants } });

/** Reads a ticket without consuming it (Nova's os-console-auth-tokens). */
export const peekTicket = (tenantId: string, ticketHash: string): Promise<TicketRecord | undefined> =>
  getItem<TicketRecord>(keys.ticket(tenantId, ticketHash));

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
