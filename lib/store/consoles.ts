import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { client, isConditionFailure, send, tableName } from './client.js';
import { keys, recordOf } from './keys.js';

/** A Nova legacy (os-consoles) console: one per server. It holds no secret; passwords are minted per read. */
export interface ConsoleRecord {
  tenantId: string;
  instanceUuid: string;
  /** Nova's integer console id, unique within the tenant. */
  consoleId: number;
  consoleType: string;
  createdAt: string;
}

/** The tenant's next console id: one atomic counter increment. */
export async function nextConsoleId(tenantId: string): Promise<number> {
  const { Attributes } = await send(() =>
    client().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.consoleCounter(tenantId),
        UpdateExpression: 'ADD #value :one',
        ExpressionAttributeNames: { '#value': 'value' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    ),
  );
  return Number(Attributes?.value);
}

/** @returns false when the server already has a console (the existing one stands). */
export async function putConsoleIfAbsent(console: ConsoleRecord): Promise<boolean> {
  try {
    await send(() =>
      client().send(
        new PutCommand({
          TableName: tableName(),
          Item: { ...keys.console(console.tenantId, console.instanceUuid), ...console },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function getConsole(tenantId: string, instanceUuid: string): Promise<ConsoleRecord | undefined> {
  const { Item } = await send(() =>
    client().send(new GetCommand({ TableName: tableName(), Key: keys.console(tenantId, instanceUuid) })),
  );
  return recordOf<ConsoleRecord>(Item);
}

/** Deletes the server's console only if it has this id. @returns whether one was deleted. */
export async function deleteConsole(tenantId: string, instanceUuid: string, consoleId: number): Promise<boolean> {
  try {
    await send(() =>
      client().send(
        new DeleteCommand({
          TableName: tableName(),
          Key: keys.console(tenantId, instanceUuid),
          ConditionExpression: 'consoleId = :consoleId',
          ExpressionAttributeValues: { ':consoleId': consoleId },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
