import type { TenantRecord, TicketPointerRecord, TicketRecord } from '../records.js';
import { scopeKey } from '../protocol/secrets.js';
import { deleteItem, deleteItems, getItems, putItems } from './items.js';
import { keys } from './keys.js';
import { keysIn } from './paging.js';
import { deleteRequest, putRequest, type PutRequest } from './requests.js';

/**
 * The ticket under its VM's partition and, beside the sessions of the user it is issued to, a pointer to it
 * (same expiry), so revoking the user finds its tickets exactly. One BatchWriteItem, not a transaction:
 * dynalite (the local DynamoDB of every test) has no TransactWriteItems, a transaction costs twice the
 * write units, and what it would guarantee holds anyway: the ticket is handed out only once both items are
 * written, and a pointer left alone by a failure half-way points at nothing and expires. (The "absent"
 * condition a PutItem could carry only guarded against a collision of 256-bit secrets.)
 */
export function ticketPutRequests(ticket: TicketRecord): [PutRequest<TicketRecord>, PutRequest<TicketPointerRecord>] {
  const vmKey = scopeKey(ticket.vmMoId);
  const pointer: TicketPointerRecord = { tenantId: ticket.tenantId, vmMoId: ticket.vmMoId, expiresAt: ticket.expiresAt };
  return [
    putRequest(keys.ticket(ticket.tenantId, vmKey, ticket.ticketHash), ticket),
    putRequest(keys.ticketPointer(ticket.tenantId, scopeKey(ticket.issuedTo), vmKey, ticket.ticketHash), pointer),
  ];
}

/** Writes a ticket and its pointer in one round trip (more only if DynamoDB leaves some unprocessed). */
export const putTicket = (ticket: TicketRecord): Promise<void> => putItems(ticketPutRequests(ticket));

/** A ticket as a credential names it: tenant, `scopeKey` of the VM's moId, SHA-256 of the secret. */
export interface TicketRef {
  tenantId: string;
  vmKey: string;
  ticketHash: string;
}

/**
 * One-time redemption in exactly one round trip: a DeleteItem that only succeeds while the ticket exists,
 * is unexpired and grants what the redeemer serves. Of any number of concurrent callers exactly one gets the
 * item back; the others meet the condition failure, which means the same as an unknown ticket. The user's
 * pointer to it stays until it expires.
 */
export const redemptionRequest = ({ tenantId, vmKey, ticketHash }: TicketRef, grants: string) =>
  deleteRequest(keys.ticket(tenantId, vmKey, ticketHash), { onlyIfLive: true, matching: { grants } });

export const redeemTicket = (ref: TicketRef, grants: string): Promise<TicketRecord | undefined> =>
  deleteItem(redemptionRequest(ref, grants));

/** Reads a ticket without consuming it (Nova's os-console-auth-tokens), with its tenant's profile, in one BatchGetItem. */
export async function peekTicket({ tenantId, vmKey, ticketHash }: TicketRef): Promise<{ ticket?: TicketRecord; tenant?: TenantRecord }> {
  const [ticket, tenant] = await getItems([keys.ticket(tenantId, vmKey, ticketHash), keys.tenant(tenantId)]);
  return { ticket, tenant };
}

/**
 * Revokes every ticket for a VM (it was deleted, or its console moved): a ticket must never open whatever
 * takes the VM's place. One Query of the VM's own ticket partition; the users' pointers expire with them.
 */
export async function deleteTicketsOf(tenantId: string, moId: string): Promise<void> {
  await deleteItems(await keysIn(keys.ticketPartition(tenantId, moId)));
}
