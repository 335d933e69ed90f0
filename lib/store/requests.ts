import type {
  BatchGetCommandInput,
  BatchWriteCommandInput,
  DeleteCommandInput,
  GetCommandInput,
  PutCommandInput,
  QueryCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { tableName } from './client.js';
import { absent, all, equals, exists, inPartition, live, placeholders, underPrefix } from './expressions.js';
import { keys, type Key } from './keys.js';

/**
 * The store's request builders: each returns the exact request as a value, so a unit test can assert it
 * without a server (`send` in ./send.ts sends it). Every store module's own builders are made of these.
 */

export interface PutRequest<T> extends PutCommandInput {
  Item: Key<T> & Record<string, unknown>;
}
export interface DeleteRequest<T> extends DeleteCommandInput {
  Key: Key<T>;
}
export interface UpdateRequest<T> extends UpdateCommandInput {
  Key: Key<T>;
}
export type QueryRequest = QueryCommandInput;

/** One item, read strongly consistent. */
export const getRequest = (key: Key): GetCommandInput => ({ TableName: tableName(), Key: key, ConsistentRead: true });

/** Several items in one BatchGetItem (at most 100 keys), read strongly consistent. */
export const batchGetRequest = (itemKeys: Record<string, unknown>[]): BatchGetCommandInput => ({
  RequestItems: { [tableName()]: { Keys: itemKeys, ConsistentRead: true } },
});

/** One write of a BatchWriteItem. */
export type Write = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

/** Up to 25 writes in one BatchWriteItem (a batch has no conditions). */
export const batchWriteRequest = (writes: Write[]): BatchWriteCommandInput => ({ RequestItems: { [tableName()]: writes } });

/** A condition and the `:name` values it uses (`#name` and `:now` are derived; see `placeholders`). */
export interface Condition {
  condition: string;
  values?: Record<string, unknown>;
}

/** Puts `record` under `key` (plus any index attributes); with `ifAbsent`, only when no item has the key. */
export function putRequest<T>(
  key: Key<T>,
  record: T,
  options: { ifAbsent?: boolean; indexes?: Record<string, string>; only?: Condition; returnOld?: boolean } = {},
): PutRequest<T> {
  const condition = options.ifAbsent ? absent : options.only?.condition;
  return {
    TableName: tableName(),
    Item: { ...key, ...options.indexes, ...record },
    ...(condition ? { ConditionExpression: condition, ...placeholders([condition], options.only?.values) } : {}),
    ...(options.returnOld ? { ReturnValues: 'ALL_OLD' as const } : {}),
  };
}

/**
 * Deletes an item, returning what it held. With `onlyIfLive`, only while it exists unexpired, and `matching`
 * adds attribute values it must have too: of concurrent callers exactly one gets it (one-time use). `only`
 * is any other condition.
 */
export function deleteRequest<T>(
  key: Key<T>,
  options: { onlyIfLive?: boolean; matching?: Record<string, unknown>; only?: Condition } = {},
): DeleteRequest<T> {
  const matching = options.matching ?? {};
  const condition = options.onlyIfLive ? all(exists, live, ...Object.keys(matching).map(equals)) : options.only?.condition;
  const values = options.onlyIfLive ? matching : options.only?.values;
  return {
    TableName: tableName(),
    Key: key,
    ReturnValues: 'ALL_OLD',
    ...(condition ? { ConditionExpression: condition, ...placeholders([condition], values) } : {}),
  };
}

/** Applies `update` (its `:name` values in `values`), with an optional condition (its values in the same map). */
export function updateRequest<T>(
  key: Key<T>,
  update: string,
  options: { condition?: string; values?: Record<string, unknown>; returns?: UpdateCommandInput['ReturnValues'] } = {},
): UpdateRequest<T> {
  return {
    TableName: tableName(),
    Key: key,
    UpdateExpression: update,
    ...(options.condition ? { ConditionExpression: options.condition } : {}),
    ...placeholders([update, options.condition], options.values),
    ...(options.returns ? { ReturnValues: options.returns } : {}),
  };
}

/** What a query keeps of the items it reads: a filter (its `:name` values in `values`) and a projection. */
export interface QueryOptions {
  filter?: string;
  values?: Record<string, unknown>;
  projection?: string;
}

/** The query for the items of partition `pk` (those whose sort key starts with `prefix`, if given). */
export function partitionQueryRequest(pk: string, prefix?: string, options: QueryOptions = {}): QueryRequest {
  const keyCondition = prefix === undefined ? inPartition : underPrefix;
  return {
    TableName: tableName(),
    KeyConditionExpression: keyCondition,
    ...(options.filter ? { FilterExpression: options.filter } : {}),
    ...(options.projection ? { ProjectionExpression: options.projection } : {}),
    ...placeholders([keyCondition, options.filter, options.projection], { pk, ...(prefix === undefined ? {} : { prefix }), ...options.values }),
  };
}

/** The query for a tenant's own items (inventory) whose sort key starts with `prefix`. */
export const queryUnderRequest = (tenantId: string, prefix: string, options: QueryOptions = {}): QueryRequest =>
  partitionQueryRequest(keys.tenantPartition(tenantId), prefix, options);

/**
 * The query of an index: `keyCondition` over its `<index>pk` / `<index>sk` (their values as `:pk`, `:sk`,
 * `:after` … in `values`).
 */
export function indexQueryRequest(
  index: string,
  keyCondition: string,
  options: QueryOptions & { limit?: number } = {},
): QueryRequest {
  return {
    TableName: tableName(),
    IndexName: index,
    KeyConditionExpression: keyCondition,
    ...(options.filter ? { FilterExpression: options.filter } : {}),
    ...(options.projection ? { ProjectionExpression: options.projection } : {}),
    ...placeholders([keyCondition, options.filter, options.projection], options.values),
    ...(options.limit ? { Limit: options.limit } : {}),
  };
}
