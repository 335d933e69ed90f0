import type { OpenConsoleRecord } from '../records.js';
import { all, exists, isExpired, live } from './expressions.js';
import { deleteIf, deleteItem, deleteItems, getItem, putItem, updateIf, updateItem } from './items.js';
import { gsi1, gsi2, keys, recordOf, type Key } from './keys.js';
import { queryAll, queryPage, type Page, type PageRequest } from './paging.js';
import { deleteRequest, indexQueryRequest, partitionQueryRequest, putRequest, updateRequest, type PutRequest, type QueryRequest, type UpdateRequest } from './requests.js';
import { send } from './send.js';

/**
 * The registry of open consoles. One item per console under its VM (`OPEN#<t>#<moId>`), with two index
 * entries: the user's (gsi1) and the tenant's (gsi2). Every read drops items past `expiresAt`: a console
 * whose proxy stopped reporting it is gone as soon as its heartbeat window passes, whatever DynamoDB's TTL.
 */

export const openConsolePutRequest = (record: OpenConsoleRecord): PutRequest<OpenConsoleRecord> =>
  putRequest(keys.openConsole(record.tenantId, record.vmMoId, record.sessionId), record, {
    ifAbsent: true,
    indexes: {
      ...gsi1.openConsolesOfUser(record.tenantId, record.userName, record.sessionId),
      ...gsi2.openConsolesOfTenant(record.tenantId, record.sessionId),
    },
  });

export const putOpenConsole = (record: OpenConsoleRecord): Promise<boolean> => putItem(openConsolePutRequest(record));

export const getOpenConsole = (tenantId: string, moId: string, sessionId: string): Promise<OpenConsoleRecord | undefined> =>
  getItem(keys.openConsole(tenantId, moId, sessionId));

/** A proxy's report that the console is still open. */
export const touchOpenConsoleRequest = (
  tenantId: string,
  moId: string,
  sessionId: string,
  lastInputAt: string,
  expiresAt: number,
): UpdateRequest<OpenConsoleRecord> =>
  updateRequest(keys.openConsole(tenantId, moId, sessionId), 'SET #lastInputAt = :lastInputAt, #expiresAt = :expiresAt', {
    condition: all(exists, live),
    values: { lastInputAt, expiresAt },
  });

/**
 * @returns undefined when the registry no longer holds the console, else the console as kept (the update's
 * own answer, no read: the heartbeat learns which consoles are shadows or watched by one).
 */
export async function touchOpenConsole(...args: Parameters<typeof touchOpenConsoleRequest>): Promise<OpenConsoleRecord | undefined> {
  const updated = await updateItem({ ...touchOpenConsoleRequest(...args), ReturnValues: 'ALL_NEW' });
  return recordOf<OpenConsoleRecord>(updated);
}

/** Marks a console as watched by a shadow (or no longer: `false`); nothing when it is no longer open. */
export const markShadowed = (tenantId: string, moId: string, sessionId: string, shadowed: boolean): Promise<boolean> =>
  updateIf(
    updateRequest<OpenConsoleRecord>(keys.openConsole(tenantId, moId, sessionId), shadowed ? 'SET #shadowed = :shadowed' : 'REMOVE #shadowed', {
      condition: all(exists, live),
      ...(shadowed ? { values: { shadowed } } : {}),
    }),
  );

/** Removes one console from the registry. @returns what it held (undefined: it was not there, or had expired). */
export const deleteOpenConsole = (tenantId: string, moId: string, sessionId: string): Promise<OpenConsoleRecord | undefined> =>
  deleteItem(deleteRequest(keys.openConsole(tenantId, moId, sessionId)));

/**
 * A VM's registry partition as stored, expired consoles too (DynamoDB's TTL sweep runs hours late): where the
 * shadows whose proxy stopped reporting them are found, to be removed and audited.
 */
export const storedConsolesOfVm = async (tenantId: string, moId: string): Promise<OpenConsoleRecord[]> =>
  (await queryAll(partitionQueryRequest(keys.openConsolePartition(tenantId, moId)))).map((item) => recordOf<OpenConsoleRecord>(item)!);

/** Removes a console the registry has already forgotten (expired). @returns false when it was not (any more) there. */
export const deleteExpiredOpenConsole = (tenantId: string, moId: string, sessionId: string): Promise<boolean> =>
  deleteIf(deleteRequest(keys.openConsole(tenantId, moId, sessionId), { only: { condition: '#expiresAt <= :now' } }));

/** Removes consoles from the registry (ended by an order), in BatchWriteItems. */
export const deleteOpenConsoles = (consoles: OpenConsoleRecord[]): Promise<void> =>
  deleteItems(consoles.map((open) => keys.openConsole(open.tenantId, open.vmMoId, open.sessionId)));

const liveFilter = { filter: live };

const vmQueryRequest = (tenantId: string, moId: string, filter = live): QueryRequest =>
  partitionQueryRequest(keys.openConsolePartition(tenantId, moId), undefined, { filter });

const userQueryRequest = (tenantId: string, userName: string, filter = live): QueryRequest =>
  indexQueryRequest(gsi1.name, '#gsi1pk = :gsi1pk', { filter, values: { gsi1pk: gsi1.openConsolesOfUser(tenantId, userName).gsi1pk } });

const tenantQueryRequest = (tenantId: string, sessionId?: string, filter = live): QueryRequest =>
  sessionId === undefined
    ? indexQueryRequest(gsi2.name, '#gsi2pk = :gsi2pk', { filter, values: { gsi2pk: gsi2.openConsolesOfTenant(tenantId).gsi2pk } })
    : indexQueryRequest(gsi2.name, '#gsi2pk = :gsi2pk AND #gsi2sk = :gsi2sk', { filter, values: gsi2.openConsolesOfTenant(tenantId, sessionId) });

const records = (items: Record<string, unknown>[]): OpenConsoleRecord[] =>
  items.filter((item) => !isExpired(item)).map((item) => recordOf<OpenConsoleRecord>(item)!);

/** A VM's open consoles, strongly consistent: what QueryConnections answers and the VM's limit counts. */
export const openConsolesOfVm = async (tenantId: string, moId: string): Promise<OpenConsoleRecord[]> =>
  records(await queryAll(vmQueryRequest(tenantId, moId)));

export const openConsolesOfUser = async (tenantId: string, userName: string): Promise<OpenConsoleRecord[]> =>
  records(await queryAll(userQueryRequest(tenantId, userName)));

export const openConsolesOfTenant = async (tenantId: string): Promise<OpenConsoleRecord[]> =>
  records(await queryAll(tenantQueryRequest(tenantId)));

/**
 * Removes every registry item of a tenant, expired ones too (one query of its index partition, which holds
 * only its open consoles): the last step of a tenant's drain. @returns how many.
 */
export async function deleteOpenConsolesOfTenant(tenantId: string): Promise<number> {
  const items = await queryAll(
    indexQueryRequest(gsi2.name, '#gsi2pk = :gsi2pk', { projection: '#pk, #sk', values: { gsi2pk: gsi2.openConsolesOfTenant(tenantId).gsi2pk } }),
  );
  await deleteItems(items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) })));
  return items.length;
}

/** One open console of the tenant by its id, wherever its VM (the tenant index; eventually consistent). */
export async function findOpenConsole(tenantId: string, sessionId: string): Promise<OpenConsoleRecord | undefined> {
  return records(await queryAll(tenantQueryRequest(tenantId, sessionId)))[0];
}

/** How many live items a query matches (Select COUNT: read units, no items sent back). */
async function countOf(request: QueryRequest): Promise<number> {
  let count = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await send('Query', { ConsistentRead: !request.IndexName, ...request, Select: 'COUNT', ExclusiveStartKey });
    count += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return count;
}

/** Shadows (read-only views, lib/core/shadows.ts) count toward no connection limit. */
const liveConsole = all(live, 'attribute_not_exists(#shadowOf)');

export const countOpenConsolesOfVm = (tenantId: string, moId: string) => countOf(vmQueryRequest(tenantId, moId, liveConsole));
export const countOpenConsolesOfUser = (tenantId: string, userName: string) => countOf(userQueryRequest(tenantId, userName, liveConsole));
export const countOpenConsolesOfTenant = (tenantId: string) => countOf(tenantQueryRequest(tenantId, undefined, liveConsole));

/** A page of open consoles, in session id order, after the session id `after`. */
async function pageOf(request: QueryRequest, page: PageRequest, startKey: (after: string) => Key & Record<string, string>): Promise<Page<OpenConsoleRecord>> {
  const found = await queryPage({ ...request, ...(page.after ? { ExclusiveStartKey: startKey(page.after) } : {}) }, page.limit);
  return { items: records(found.items), more: found.more };
}

export const pageOpenConsolesOfVm = (tenantId: string, moId: string, page: PageRequest) =>
  pageOf(vmQueryRequest(tenantId, moId), page, (after) => ({ ...keys.openConsole(tenantId, moId, after) }));

/** Index pages restart after the item named by the index key and the table key; the table key is rebuilt by a read. */
export async function pageOpenConsolesOfUser(tenantId: string, userName: string, page: PageRequest): Promise<Page<OpenConsoleRecord>> {
  const start = page.after ? await findOpenConsole(tenantId, page.after) : undefined;
  return pageOf(userQueryRequest(tenantId, userName), start ? page : { limit: page.limit }, (after) => ({
    ...keys.openConsole(tenantId, start!.vmMoId, after),
    ...gsi1.openConsolesOfUser(tenantId, userName, after),
  }));
}

export async function pageOpenConsolesOfTenant(tenantId: string, page: PageRequest): Promise<Page<OpenConsoleRecord>> {
  const start = page.after ? await findOpenConsole(tenantId, page.after) : undefined;
  return pageOf(tenantQueryRequest(tenantId), start ? page : { limit: page.limit }, (after) => ({
    ...keys.openConsole(tenantId, start!.vmMoId, after),
    ...gsi2.openConsolesOfTenant(tenantId, after),
  }));
}

// ---- the proxies' order channels ----

/** A proxy's WebSocket connection, kept until it disconnects (or API Gateway's 2-hour connection limit passes). */
export const putProxyConnection = (connectionId: string, connectedAt: string, expiresAt: number): Promise<boolean> =>
  putItem(putRequest(keys.proxyConnection(connectionId), { connectionId, connectedAt, expiresAt }));

export const deleteProxyConnection = async (connectionId: string): Promise<void> => {
  await deleteItem(deleteRequest(keys.proxyConnection(connectionId)));
};

/** Every proxy's live connection: one small partition (one item per proxy instance). */
export const proxyConnections = async (): Promise<string[]> =>
  records(await queryAll(partitionQueryRequest(keys.proxiesPartition, undefined, liveFilter))).map(
    (item) => (item as unknown as { connectionId: string }).connectionId,
  );
