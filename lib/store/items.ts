import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DeleteCommandInput,
  type PutCommandInput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { InvalidArgument, Unavailable } from '../core/errors.js';
import { client, send, sendIf, tableName } from './client.js';
import { absent, all, equals, exists, isExpired, live, placeholders } from './expressions.js';
import { keyFits, recordOf, type Key, type RecordAt } from './keys.js';

/**
 * The single-item requests every store module is made of, each built as a value (so a unit test can assert
 * the exact request without a server) and then sent. Reads drop an item whose `expiresAt` has passed
 * (DynamoDB's TTL sweep runs hours late), so no read path can forget to. Every read of the table is strongly
 * consistent: an ended session, a revoked ticket or a changed user is seen by the very next request,
 * whichever Lambda serves it (only the gsi1 index, which cannot be read consistently, lags).
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

/** Puts `record` under `key` (plus any index attributes); with `ifAbsent`, only when no item has the key. */
export function putRequest<T>(
  key: Key<T>,
  record: T,
  options: { ifAbsent?: boolean; indexes?: Record<string, string> } = {},
): PutRequest<T> {
  return {
    TableName: tableName(),
    Item: { ...key, ...options.indexes, ...record },
    ...(options.ifAbsent ? { ConditionExpression: absent } : {}),
  };
}

/**
 * Deletes an item, returning what it held. With `onlyIfLive`, only while it exists unexpired, and `matching`
 * adds attribute values it must have too: of concurrent callers exactly one gets it (one-time use).
 */
export function deleteRequest<T>(
  key: Key<T>,
  options: { onlyIfLive?: boolean; matching?: Record<string, string> } = {},
): DeleteRequest<T> {
  const matching = options.matching ?? {};
  const condition = options.onlyIfLive ? all(exists, live, ...Object.keys(matching).map(equals)) : undefined;
  return {
    TableName: tableName(),
    Key: key,
    ReturnValues: 'ALL_OLD',
    ...(condition ? { ConditionExpression: condition, ...placeholders([condition], matching) } : {}),
  };
}

export async function getItem<T>(key: Key<T>): Promise<T | undefined> {
  if (!keyFits(key)) return undefined;
  const { Item } = await send(() => client().send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true })));
  return isExpired(Item) ? undefined : recordOf<T>(Item);
}

/** @returns false when the put's condition failed, true when written. */
export async function putItem<T>(request: PutRequest<T>): Promise<boolean> {
  if (!keyFits(request.Item)) throw InvalidArgument('An identifier in the request is too long.');
  return (await sendIf(() => client().send(new PutCommand(request)))) !== undefined;
}

/** @returns what the item held, or undefined when there was none (or the delete's condition failed). */
export async function deleteItem<T>(request: DeleteRequest<T>): Promise<T | undefined> {
  if (!keyFits(request.Key)) return undefined;
  const output = await sendIf(() => client().send(new DeleteCommand(request)));
  return isExpired(output?.Attributes) ? undefined : recordOf<T>(output?.Attributes);
}

/** Sends a delete whose condition may fail. @returns whether the condition held (and the item is gone). */
export async function deleteIf(request: DeleteRequest<unknown>): Promise<boolean> {
  if (!keyFits(request.Key)) return false;
  return (await sendIf(() => client().send(new DeleteCommand(request)))) !== undefined;
}

/** @returns the item's attributes as the update returns them, or undefined when its condition failed. */
export async function updateItem<T>(request: UpdateRequest<T>): Promise<Record<string, unknown> | undefined> {
  const output = await sendIf(() => client().send(new UpdateCommand(request)));
  return output && (output.Attributes ?? {});
}

/** Deletes many items, 25 to a BatchWriteItem, in order, retrying what DynamoDB leaves unprocessed. */
export async function deleteItems(itemKeys: Key[]): Promise<void> {
  for (let start = 0; start < itemKeys.length; start += 25) {
    let requests = itemKeys.slice(start, start + 25).map(({ pk, sk }) => ({ DeleteRequest: { Key: { pk, sk } } }));
    for (let attempt = 0; requests.length > 0; attempt += 1) {
      if (attempt > 5) throw Unavailable('The data service is throttling writes; retry later.');
      const { UnprocessedItems } = await send(() =>
        client().send(new BatchWriteCommand({ RequestItems: { [tableName()]: requests } })),
      );
      requests = (UnprocessedItems?.[tableName()] ?? []) as typeof requests;
    }
  }
}

/** Puts many items, 25 to a BatchWriteItem, retrying what DynamoDB leaves unprocessed (no conditions: a batch has none). */
export async function putItems(requests: PutRequest<unknown>[]): Promise<void> {
  for (let start = 0; start < requests.length; start += 25) {
    let writes = requests.slice(start, start + 25).map(({ Item }) => ({ PutRequest: { Item } }));
    for (let attempt = 0; writes.length > 0; attempt += 1) {
      if (attempt > 5) throw Unavailable('The data service is throttling writes; retry later.');
      const { UnprocessedItems } = await send(() => client().send(new BatchWriteCommand({ RequestItems: { [tableName()]: writes } })));
      writes = (UnprocessedItems?.[tableName()] ?? []) as typeof writes;
    }
  }
}

/**
 * Several items in one BatchGetItem (the hot paths' single read), as records in the order of `itemKeys`,
 * each typed by its key: an absent or expired item is undefined.
 */
export async function getItems<const K extends readonly Key[]>(
  itemKeys: K,
): Promise<{ -readonly [I in keyof K]: RecordAt<K[I]> | undefined }> {
  const found: Record<string, unknown>[] = [];
  let pending: Record<string, unknown>[] = itemKeys.filter(keyFits).map(({ pk, sk }) => ({ pk, sk }));
  for (let attempt = 0; pending.length > 0; attempt += 1) {
    if (attempt > 3) throw Unavailable('The data service is throttling reads; retry later.');
    const { Responses, UnprocessedKeys } = await send(() =>
      client().send(new BatchGetCommand({ RequestItems: { [tableName()]: { Keys: pending, ConsistentRead: true } } })),
    );
    found.push(...(Responses?.[tableName()] ?? []));
    pending = UnprocessedKeys?.[tableName()]?.Keys ?? [];
  }
  const records = itemKeys.map((key) => {
    const item = found.find((candidate) => candidate.pk === key.pk && candidate.sk === key.sk);
    return isExpired(item) ? undefined : recordOf(item);
  });
  return records as { -readonly [I in keyof K]: RecordAt<K[I]> | undefined };
}
