import { BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidArgument, Unavailable } from '../core/errors.js';
import { client, isConditionFailure, isExpired, notExpired, nowValue, send, tableName } from './client.js';
import { keyFits, recordOf, type Key } from './keys.js';

/**
 * The three single-item operations every store module is made of. Reads drop an item whose `expiresAt` has
 * passed (DynamoDB's TTL sweep runs hours late), so no read path can forget to. Every read of the table is
 * strongly consistent: an ended session, a revoked ticket or a changed user is seen by the very next request,
 * whichever Lambda serves it (only the gsi1 index, which cannot be read consistently, lags).
 */
export async function getItem<T>(key: Key): Promise<T | undefined> {
  if (!keyFits(key)) return undefined;
  const { Item } = await send(() => client().send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true })));
  return isExpired(Item) ? undefined : recordOf<T>(Item);
}

/**
 * Puts `record` under `key` (plus any index attributes). With `ifAbsent`, only when no item has the key:
 * @returns false when that condition failed, true when written.
 */
export async function putItem(
  key: Key,
  record: object,
  options: { ifAbsent?: boolean; indexes?: Record<string, string> } = {},
): Promise<boolean> {
  if (!keyFits(key)) throw InvalidArgument('An identifier in the request is too long.');
  try {
    await send(() =>
      client().send(
        new PutCommand({
          TableName: tableName(),
          Item: { ...key, ...options.indexes, ...record },
          ConditionExpression: options.ifAbsent ? 'attribute_not_exists(pk)' : undefined,
        }),
      ),
    );
    return true;
  } catch (error) {
    if (options.ifAbsent && isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Deletes the item and returns what it held, or undefined when there was none. With `onlyIfLive`, the delete
 * is conditional on the item existing unexpired: of concurrent callers exactly one gets it (one-time use);
 * `matching` adds attribute values it must have too (otherwise nothing is deleted and undefined returned).
 */
export async function deleteItem<T>(
  key: Key,
  options: { onlyIfLive?: boolean; matching?: Record<string, string> } = {},
): Promise<T | undefined> {
  if (!keyFits(key)) return undefined;
  try {
    const { Attributes } = await send(() =>
      client().send(
        new DeleteCommand({
          TableName: tableName(),
          Key: key,
          ReturnValues: 'ALL_OLD',
          ...(options.onlyIfLive ? liveCondition(options.matching ?? {}) : {}),
        }),
      ),
    );
    return isExpired(Attributes) ? undefined : recordOf<T>(Attributes);
  } catch (error) {
    if (options.onlyIfLive && isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** `attribute_exists(pk) AND #expiresAt > :now`, and `#m<i> = :m<i>` for each attribute in `matching`. */
function liveCondition(matching: Record<string, string>) {
  const entries = Object.entries(matching);
  return {
    ConditionExpression: ['attribute_exists(pk)', notExpired.expression, ...entries.map((_, i) => `#m${i} = :m${i}`)].join(' AND '),
    ExpressionAttributeNames: { ...notExpired.names, ...Object.fromEntries(entries.map(([name], i) => [`#m${i}`, name])) },
    ExpressionAttributeValues: { ...nowValue(), ...Object.fromEntries(entries.map(([, value], i) => [`:m${i}`, value])) },
  };
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

/**
 * Several items in one BatchGetItem (the hot paths' single read), as records in the order of `itemKeys`:
 * an absent or expired item is undefined.
 */
export async function getItems(itemKeys: Key[]): Promise<(Record<string, unknown> | undefined)[]> {
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
  return itemKeys.map((key) => {
    const item = found.find((candidate) => candidate.pk === key.pk && candidate.sk === key.sk);
    return isExpired(item as { expiresAt?: number } | undefined) ? undefined : recordOf<Record<string, unknown>>(item);
  });
}
