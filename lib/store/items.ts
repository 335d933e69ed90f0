import { InvalidArgument, Unavailable } from '../core/errors.js';
import { tableName } from './client.js';
import { isExpired } from './expressions.js';
import { keyFits, recordOf, type Key, type RecordAt } from './keys.js';
import { batchGetRequest, batchWriteRequest, getRequest, type DeleteRequest, type PutRequest, type UpdateRequest, type Write } from './requests.js';
import { send, sendIf } from './send.js';

/**
 * The senders every store module is made of: each takes a request its builder made (./requests.ts) and sends
 * it. Reads drop an item whose `expiresAt` has passed (DynamoDB's TTL sweep runs hours late), so no read path
 * can forget to. Every read of the table is strongly consistent: an ended session, a revoked ticket or a
 * changed user is seen by the very next request, whichever Lambda serves it (only the gsi1 index, which
 * cannot be read consistently, lags).
 */

export async function getItem<T>(key: Key<T>): Promise<T | undefined> {
  if (!keyFits(key)) return undefined;
  const { Item } = await send('Get', getRequest(key));
  return isExpired(Item) ? undefined : recordOf<T>(Item);
}

/** @returns false when the put's condition failed, true when written. */
export async function putItem<T>(request: PutRequest<T>): Promise<boolean> {
  if (!keyFits(request.Item)) throw InvalidArgument('An identifier in the request is too long.');
  return (await sendIf('Put', request)) !== undefined;
}

/** Puts an item unconditionally. @returns the record it replaced, if any (the request asks `returnOld`). */
export async function replaceItem<T>(request: PutRequest<T>): Promise<T | undefined> {
  if (!keyFits(request.Item)) throw InvalidArgument('An identifier in the request is too long.');
  return recordOf<T>((await send('Put', request)).Attributes);
}

/** @returns what the item held, or undefined when there was none (or the delete's condition failed). */
export async function deleteItem<T>(request: DeleteRequest<T>): Promise<T | undefined> {
  if (!keyFits(request.Key)) return undefined;
  const output = await sendIf('Delete', request);
  return isExpired(output?.Attributes) ? undefined : recordOf<T>(output?.Attributes);
}

/** Sends a delete whose condition may fail. @returns whether the condition held (and the item is gone). */
export async function deleteIf(request: DeleteRequest<unknown>): Promise<boolean> {
  if (!keyFits(request.Key)) return false;
  return (await sendIf('Delete', request)) !== undefined;
}

/** @returns the item's attributes as the update returns them, or undefined when its condition failed. */
export async function updateItem<T>(request: UpdateRequest<T>): Promise<Record<string, unknown> | undefined> {
  const output = await sendIf('Update', request);
  return output && (output.Attributes ?? {});
}

/** Sends an update whose condition may fail. @returns whether it held (and the item is updated). */
export const updateIf = async <T>(request: UpdateRequest<T>): Promise<boolean> => (await updateItem(request)) !== undefined;

/** Writes 25 to a BatchWriteItem, in order, retrying what DynamoDB leaves unprocessed (a batch has no conditions). */
async function writeInBatches(writes: Write[]): Promise<void> {
  for (let start = 0; start < writes.length; start += 25) {
    let pending = writes.slice(start, start + 25);
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 5) throw Unavailable('The data service is throttling writes; retry later.');
      const { UnprocessedItems } = await send('BatchWrite', batchWriteRequest(pending));
      pending = (UnprocessedItems?.[tableName()] ?? []) as Write[];
    }
  }
}

/** Deletes many items. */
export const deleteItems = (itemKeys: Key[]): Promise<void> =>
  writeInBatches(itemKeys.map(({ pk, sk }) => ({ DeleteRequest: { Key: { pk, sk } } })));

/** Puts many items. */
export const putItems = (requests: PutRequest<unknown>[]): Promise<void> =>
  writeInBatches(requests.map(({ Item }) => ({ PutRequest: { Item } })));

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
    const { Responses, UnprocessedKeys } = await send('BatchGet', batchGetRequest(pending));
    found.push(...(Responses?.[tableName()] ?? []));
    pending = UnprocessedKeys?.[tableName()]?.Keys ?? [];
  }
  const records = itemKeys.map((key) => {
    const item = found.find((candidate) => candidate.pk === key.pk && candidate.sk === key.sk);
    return isExpired(item) ? undefined : recordOf(item);
  });
  return records as { -readonly [I in keyof K]: RecordAt<K[I]> | undefined };
}
