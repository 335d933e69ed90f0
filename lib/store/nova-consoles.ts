import type { ConsoleRecord } from '../records.js';
import { deleteIf, getItem, putItem, updateItem } from './items.js';
import { equals } from './expressions.js';
import { keys } from './keys.js';
import { deleteRequest, putRequest, updateRequest } from './requests.js';

/** The tenant's next console id: one atomic counter increment. */
export async function nextConsoleId(tenantId: string): Promise<number> {
  const request = updateRequest(keys.consoleCounter(tenantId), 'ADD #value :one', { values: { one: 1 }, returns: 'UPDATED_NEW' });
  return Number((await updateItem(request))?.value);
}

/** @returns false when the server already has a console (the existing one stands). */
export const putConsoleIfAbsent = (console: ConsoleRecord): Promise<boolean> =>
  putItem(putRequest(keys.console(console.tenantId, console.instanceUuid), console, { ifAbsent: true }));

export const getConsole = (tenantId: string, instanceUuid: string): Promise<ConsoleRecord | undefined> =>
  getItem(keys.console(tenantId, instanceUuid));

/** Deletes the server's console only if it has this id. @returns whether one was deleted. */
export const deleteConsole = (tenantId: string, instanceUuid: string, consoleId: number): Promise<boolean> =>
  deleteIf(deleteRequest(keys.console(tenantId, instanceUuid), { only: { condition: equals('consoleId'), values: { consoleId } } }));
