import { isExpired } from './expressions.js';
import { recordOf, type Key } from './keys.js';
import { partitionQueryRequest, type QueryRequest } from './requests.js';
import { send } from './send.js';

/** A bounded page of a list: at most `limit` items after the item named `after` (in the list's own order). */
export interface PageRequest {
  limit: number;
  after?: string;
}

/** A page, and whether items follow it. */
export interface Page<T> {
  items: T[];
  more: boolean;
}

/** One DynamoDB page of a query; reads of the table (not of an index) are strongly consistent. */
const readPage = (request: QueryRequest) => send('Query', { ConsistentRead: !request.IndexName, ...request });

/** All pages of a query. */
export async function queryAll(request: QueryRequest): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await readPage({ ...request, ExclusiveStartKey });
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/**
 * At most `limit` items of a query, across DynamoDB's 1 MB pages, reading one item more than it returns so
 * that `more` is exact. Never more: a list's cost and answer stay bounded whatever the tenant's size.
 */
export async function queryPage(request: QueryRequest, limit: number): Promise<Page<Record<string, unknown>>> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey = request.ExclusiveStartKey;
  do {
    const page = await readPage({ ...request, ExclusiveStartKey, Limit: limit + 1 - items.length });
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && items.length <= limit);
  return { items: items.slice(0, limit), more: items.length > limit };
}

/** The records of a page of items. */
export const recordsOf = <T>(page: Page<Record<string, unknown>>): Page<T> => ({
  items: page.items.map((item) => recordOf<T>(item)!),
  more: page.more,
});

/** The records of partition `pk` (under `prefix`, if given), expired ones dropped. */
export async function recordsIn<T>(pk: string, prefix?: string): Promise<T[]> {
  const items = await queryAll(partitionQueryRequest(pk, prefix));
  return items.filter((item) => !isExpired(item)).map((item) => recordOf<T>(item)!);
}

/**
 * The keys of every item of partition `pk` (under `prefix`, if given), expired ones too: what a revocation
 * deletes, exactly, with no filter.
 */
export async function keysIn(pk: string, prefix?: string): Promise<Key[]> {
  const items = await queryAll(partitionQueryRequest(pk, prefix, { projection: 'pk, sk' }));
  return items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
}
