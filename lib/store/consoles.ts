import type { ConsoleRecord } from '../records.js';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { client, isConditionFailure, send, tableName } from './client.js';
import { getItem, putItem } from './items.js';
import { keyFits, keys } from './keys.js';

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
export const putConsoleIfAbsent = (console: ConsoleRecord): Promise<boolean> =>
  putItem(keys.console(console.tenantId, console.instanceUuid), console, { ifAbsent: true });

export const getConsole = (tenantId: string, instanceUuid: string): Promise<ConsoleRecord | undefined> =>
  getItem<ConsoleRecord>(keys.console(tenantId, instanceUuid));

/** Deletes the server's console only if it has this id. @returns whether one was deleted. */
export async function deleteConsole(tenantId: string, instanceUuid: string, consoleId: number): Promise<boolean> {
  const key = keys.console(tenantId, instanceUuid);
  if (!keyFits(key)) return false;
  try {
    await send(() =>
      client().send(
        new DeleteCommand({
          TableName: tableName(),
          Key: key,
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
