import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TicketRecord } from '../core/tickets.js';
import { client, isConditionFailure, isExpired, notExpired, nowValue, send, tableName } from './client.js';
import { keys, recordOf } from './keys.js';

export async function putTicket(ticket: TicketRecord): Promise<void> {
  await send(() =>
    client().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...keys.ticket(ticket.tenantId, ticket.ticketHash), ...ticket },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
}

/**
 * One-time redemption in exactly one round trip: a DeleteItem that only succeeds while the ticket exists
 * and is unexpired. Of any number of concurrent callers exactly one gets the item back; the others meet
 * the condition failure, which means the same as an unknown ticket.
 */
export async function redeemTicket(tenantId: string, ticketHash: string): Promise<TicketRecord | undefined> {
  try {
    const { Attributes } = await send(() =>
      client().send(
        new DeleteCommand({
          TableName: tableName(),
          Key: keys.ticket(tenantId, ticketHash),
          ConditionExpression: `attribute_exists(pk) AND ${notExpired.expression}`,
          ExpressionAttributeNames: notExpired.names,
          ExpressionAttributeValues: nowValue(),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return recordOf<TicketRecord>(Attributes);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Reads a ticket without consuming it (Nova's os-console-auth-tokens). */
export async function peekTicket(tenantId: string, ticketHash: string): Promise<TicketRecord | undefined> {
  const { Item } = await send(() =>
    client().send(new GetCommand({ TableName: tableName(), Key: keys.ticket(tenantId, ticketHash), ConsistentRead: true })),
  );
  return isExpired(Item) ? undefined : recordOf<TicketRecord>(Item);
}
