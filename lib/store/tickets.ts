import type { TicketRecord } from '../core/tickets.js';
import { deleteItem, getItem, putItem } from './items.js';
import { keys } from './keys.js';

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
  getItem<TicketRecord>(keys.ticket(tenantId, ticketHash), { consistent: true });
