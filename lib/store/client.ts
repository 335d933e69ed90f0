import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.js';
import { DomainError, Unavailable } from '../core/errors.js';
import { nowSeconds } from '../core/clock.js';
import { keys, type Key } from './keys.js';

/** DynamoDB calls made on behalf of one piece of work: operations, and SDK attempts (retries included). */
export interface RoundTripCount {
  operations: number;
  attempts: number;
  /** The DynamoDB actions called, e.g. `BatchGetItem`, `Query@index` (what a function's IAM role must allow). */
  actions: Set<string>;
  /** Operations started and not yet settled (retries included), for tests that wait for abandoned ones. */
  pending: number;
}

const roundTripScope = new AsyncLocalStorage<RoundTripCount>();

/**
 * Runs `operation` and counts the DynamoDB calls made on its behalf only — not those of other work in the
 * same process at the same time (a guest agent answering it, other requests). `live` keeps counting calls the
 * operation left running (a retrying read abandoned by a failed sibling), for tests that wait for those.
 */
export async function countRoundTrips<T>(
  operation: () => Promise<T>,
): Promise<{ result: T; roundTrips: number; attempts: number; live: RoundTripCount }> {
  const live: RoundTripCount = { operations: 0, attempts: 0, actions: new Set(), pending: 0 };
  const result = await roundTripScope.run(live, operation);
  return { result, roundTrips: live.operations, attempts: live.attempts, live };
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
        scope.pending += 1;
        try {
          return await next(args);
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

/** The expiry condition every read and conditional write applies: DynamoDB's TTL sweep runs hours late. */
export const notExpired = { expression: '#expiresAt > :now', names: { '#expiresAt': 'expiresAt' } } as const;
export const nowValue = () => ({ ':now': nowSeconds() });

/** True when an item that carries `expiresAt` is past it. */
export const isExpired = (item: { expiresAt?: number } | undefined): boolean =>
  item?.expiresAt !== undefined && item.expiresAt <= nowSeconds();

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

export const isConditionFailure = (error: unknown): boolean =>
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
    throw new DomainError('internal', 'Unexpected data service error.', {}, { cause: error });
  }
}

// ---- query helpers shared by the store modules ----

type QueryInput = Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>;

export async function queryAll(input: QueryInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await send(() =>
      client().send(new QueryCommand({ TableName: tableName(), ConsistentRead: !input.IndexName, ...input, ExclusiveStartKey })),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

export function queryPartitionPrefix(tenantId: string, prefix: string): Promise<Record<string, unknown>[]> {
  return queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.tenantPartition(tenantId), ':prefix': prefix },
  });
}

/** The keys of a tenant's items under `prefix` whose attributes equal `where` (what a batched delete needs). */
export async function keysUnder(tenantId: string, prefix: string, where: Record<string, string> = {}): Promise<Key[]> {
  const conditions = Object.entries(where);
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ...(conditions.length
      ? {
          FilterExpression: conditions.map((_, i) => `#w${i} = :w${i}`).join(' AND '),
          ExpressionAttributeNames: Object.fromEntries(conditions.map(([name], i) => [`#w${i}`, name])),
        }
      : {}),
    ExpressionAttributeValues: {
      ':pk': keys.tenantPartition(tenantId),
      ':prefix': prefix,
      ...Object.fromEntries(conditions.map(([, value], i) => [`:w${i}`, value])),
    },
    ProjectionExpression: 'pk, sk',
  });
  return items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
}

