import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.js';
import { DomainError, Internal, Unavailable } from '../core/errors.js';
import { inPartition, isExpired, placeholders, underPrefix } from './expressions.js';
import { keys, recordOf, type Key } from './keys.js';

/** DynamoDB calls made on behalf of one piece of work: operations, and SDK attempts (retries included). */
export interface RoundTripCount {
  operations: number;
  attempts: number;
  /** The DynamoDB actions called, e.g. `BatchGetItem`, `Query@index` (what a function's IAM role must allow). */
  actions: Set<string>;
  /** Operations started and not yet settled (retries included), for tests that wait for abandoned ones. */
  pending: number;
  /** Read and write units DynamoDB reports as consumed, when counted `{ capacity: true }` (tests and the bench). */
  capacityUnits: number;
  measureCapacity: boolean;
  /** The partition keys the calls named (an index query's: `gsi1pk=<value>`): what a request touched. */
  partitions: Set<string>;
}

const roundTripScope = new AsyncLocalStorage<RoundTripCount>();

/**
 * Runs `operation` and counts the DynamoDB calls made on its behalf only — not those of other work in the
 * same process at the same time (a guest agent answering it, other requests). `live` keeps counting calls the
 * operation left running (a retrying read abandoned by a failed sibling), for tests that wait for those.
 */
export async function countRoundTrips<T>(
  operation: () => Promise<T>,
  options: { capacity?: boolean } = {},
): Promise<{ result: T; roundTrips: number; attempts: number; capacityUnits: number; live: RoundTripCount }> {
  const live: RoundTripCount = {
    operations: 0,
    attempts: 0,
    actions: new Set(),
    pending: 0,
    partitions: new Set(),
    capacityUnits: 0,
    measureCapacity: options.capacity ?? false,
  };
  const result = await roundTripScope.run(live, operation);
  return { result, roundTrips: live.operations, attempts: live.attempts, capacityUnits: live.capacityUnits, live };
}

/** The units a response reports (one entry, or one per table for batch calls). */
const unitsOf = (consumed: unknown): number =>
  [consumed ?? []].flat().reduce((sum: number, entry) => sum + ((entry as { CapacityUnits?: number }).CapacityUnits ?? 0), 0);

interface DynamoInput {
  Key?: { pk?: unknown };
  Item?: { pk?: unknown };
  IndexName?: string;
  ExpressionAttributeValues?: Record<string, unknown>;
  RequestItems?: Record<string, { Keys?: { pk?: unknown }[] } | { PutRequest?: { Item: { pk?: unknown } }; DeleteRequest?: { Key: { pk?: unknown } } }[]>;
}

/** The partition keys one request names (plain or marshalled values), for `RoundTripCount.partitions`. */
function partitionsNamedBy(input: DynamoInput): string[] {
  const text = (value: unknown) => String((value as { S?: string })?.S ?? value);
  const named: unknown[] = [input.Key?.pk, input.Item?.pk];
  const queried = input.ExpressionAttributeValues?.[':pk'];
  if (queried !== undefined) named.push(input.IndexName ? `${input.IndexName}pk=${text(queried)}` : queried);
  for (const request of Object.values(input.RequestItems ?? {})) {
    if (Array.isArray(request)) named.push(...request.map((write) => (write.PutRequest?.Item ?? write.DeleteRequest?.Key)?.pk));
    else named.push(...(request.Keys ?? []).map((key) => key.pk));
  }
  return named.filter((value) => value !== undefined).map(text);
}

/**
 * Test hook below the SDK's retry loop: `inject`, when set, runs before each attempt and may delay it or
 * throw the error a throttled or unreachable DynamoDB would give, so the retry bound and the error
 * translation are exercised for real.
 */
export const faults: { inject?: (operation: string) => Promise<void> | void } = {};

let documentClient: DynamoDBDocumentClient | undefined;

/** Test/bench hook: forget the client so the next call picks up a changed endpoint or middleware. */
export const resetClient = (): void => {
  documentClient?.destroy();
  documentClient = undefined;
};

export function client(): DynamoDBDocumentClient {
  if (documentClient) return documentClient;
  const endpoint = config.dynamoEndpoint();
  const base = new DynamoDBClient({
    endpoint,
    // Retries come from the SDK's own strategy, bounded so a request fails inside API Gateway's 30 s.
    maxAttempts: config.dynamoMaxAttempts(),
    // The connection timeout also runs while a request waits for a socket from the pool: one process serving
    // many requests at once (serverless-offline, the tests) queues where Lambda, one request per instance,
    // never does; so both are configurable and the tests give themselves room.
    requestHandler: {
      connectionTimeout: config.dynamoConnectionTimeoutMs(),
      requestTimeout: config.dynamoRequestTimeoutMs(),
      httpAgent: { maxSockets: 128 },
      httpsAgent: { maxSockets: 128 },
    },
    ...(endpoint && !process.env.AWS_REGION ? { region: 'local' } : {}),
  });
  base.middlewareStack.add(
    (next, context) => async (args) => {
      const scope = roundTripScope.getStore();
      if (scope) {
        scope.operations += 1;
        const action = (context.commandName ?? '').replace(/Command$/, '');
        scope.actions.add((args.input as { IndexName?: string }).IndexName ? `${action}@index` : action);
        for (const partition of partitionsNamedBy(args.input as DynamoInput)) scope.partitions.add(partition);
        scope.pending += 1;
        // Asked for only inside a scope that measures capacity: requests outside tests are sent as built.
        if (scope.measureCapacity) (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
        try {
          const result = await next(args);
          scope.capacityUnits += unitsOf((result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity);
          return result;
        } finally {
          scope.pending -= 1;
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'countRoundTrips' },
  );
  base.middlewareStack.add(
    (next, context) => async (args) => {
      const scope = roundTripScope.getStore();
      if (scope) scope.attempts += 1;
      await faults.inject?.(context.commandName ?? '');
      return next(args);
    },
    // After the retry middleware (finalizeRequest, high priority), so it runs once per attempt.
    { step: 'finalizeRequest', priority: 'low', name: 'injectFaults' },
  );
  documentClient = DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export const tableName = (): string => config.tableName();

const UNAVAILABLE_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ResourceNotFoundException',
  'TimeoutError',
  'RequestTimeout',
  'AbortError',
]);

const isConditionFailure = (error: unknown): boolean =>
  (error as { name?: string })?.name === 'ConditionalCheckFailedException';

/**
 * Sends one command, translating transport and capacity failures into the domain's "unavailable".
 * Condition failures are left to the caller, which knows what they mean.
 */
export async function send<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof DomainError || isConditionFailure(error)) throw error;
    const name = (error as { name?: string; code?: string })?.name ?? '';
    const code = (error as { code?: string })?.code ?? '';
    const hasResponse = Boolean((error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode);
    if (UNAVAILABLE_ERRORS.has(name) || code.startsWith('E') || !hasResponse) {
      throw Unavailable('The data service is unavailable; retry later.', error);
    }
    throw Internal('Unexpected data service error.', error);
  }
}

/**
 * Sends a request whose condition may fail, the one place that catches the failure: @returns the output,
 * or `undefined` when the condition did not hold (what that means is the caller's to say).
 */
export async function sendIf<T>(operation: () => Promise<T>): Promise<T | undefined> {
  try {
    return await send(operation);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

// ---- queries ----

export type QueryRequest = ConstructorParameters<typeof QueryCommand>[0];

/** All pages of a query; reads of the table (not of an index) are strongly consistent. */
export async function queryAll(request: QueryRequest): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await send(() =>
      client().send(new QueryCommand({ ConsistentRead: !request.IndexName, ...request, ExclusiveStartKey })),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

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

/**
 * At most `limit` items of a query, across DynamoDB's 1 MB pages, reading one item more than it returns so
 * that `more` is exact. Never more: a list's cost and answer stay bounded whatever the tenant's size.
 */
export async function queryPage(request: QueryRequest, limit: number): Promise<Page<Record<string, unknown>>> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey = request.ExclusiveStartKey;
  do {
    const page = await send(() =>
      client().send(
        new QueryCommand({ ConsistentRead: !request.IndexName, ...request, ExclusiveStartKey, Limit: limit + 1 - items.length }),
      ),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && items.length <= limit);
  return { items: items.slice(0, limit), more: items.length > limit };
}

/**
 * The query for the items of partition `pk` (those whose sort key starts with `prefix`, if given),
 * optionally filtered (the filter's `:name` values in `values`) and projected.
 */
export function partitionQueryRequest(
  pk: string,
  prefix?: string,
  options: { filter?: string; values?: Record<string, unknown>; projection?: string } = {},
): QueryRequest {
  const keyCondition = prefix === undefined ? inPartition : underPrefix;
  return {
    TableName: tableName(),
    KeyConditionExpression: keyCondition,
    ...(options.filter ? { FilterExpression: options.filter } : {}),
    ...(options.projection ? { ProjectionExpression: options.projection } : {}),
    ...placeholders([keyCondition, options.filter], { pk, ...(prefix === undefined ? {} : { prefix }), ...options.values }),
  };
}

/** The query for a tenant's own items (inventory) whose sort key starts with `prefix`. */
export const queryUnderRequest = (
  tenantId: string,
  prefix: string,
  options: { filter?: string; values?: Record<string, unknown>; projection?: string } = {},
): QueryRequest => partitionQueryRequest(keys.tenantPartition(tenantId), prefix, options);

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
