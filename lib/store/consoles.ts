import type { ConsoleRecord } from '../records.js';
import { tableName } from './client.js';
import { deleteIf, getItem, putItem, putRequest, updateItem, type DeleteRequest, type UpdateRequest } from './items.js';
import { equals, placeholders } from './expressions.js';
import { keys } from './keys.js';

/** The tenant's next console id: one atomic counter increment. */
export async function nextConsoleId(tenantId: string): Promise<number> {
  const update = 'ADD #value :one';
  const request: UpdateRequest<{ value: number }> = {
    TableName: tableName(),
    Key: keys.consoleCounter(tenantId),
    UpdateExpression: update,
    ...placeholders([update], { one: 1 }),
    ReturnValues: 'UPDATED_NEW',
  };
  return Number((await updateItem(request))?.value);
}

/** @returns false when the server already has a console (the existing one stands). */
export const putConsoleIfAbsent = (console: ConsoleRecord): Promise<boolean> =>
  putItem(putRequest(keys.console(console.tenantId, console.instanceUuid), console, { ifAbsent: true }));

export const getConsole = (tenantId: string, instanceUuid: string): Promise<ConsoleRecord | undefined> =>
  getItem(keys.console(tenantId, instanceUuid));

/** Deletes the server's console only if it has this id. @returns whether one was deleted. */
export async function deleteConsole(tenantId: string, instanceUuid: string, consoleId: number): Promise<boolean> {
  const condition = equals('consoleId');
  const request: DeleteRequest<ConsoleRecord> = {
    TableName: tableName(),
    Key: keys.console(tenantId, instanceUuid),
    ConditionExpression: condition,
    ...placeholders([condition], { consoleId }),
  };
  return deleteIf(request);
}
