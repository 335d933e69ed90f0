import { AsyncLocalStorage } from 'node:async_hooks';
import { resetClient, useClientPlugin } from '../../lib/store/client.js';

/**
 * The tests' and the bench's view into the store's DynamoDB calls, added to the client from outside
 * (`useClientPlugin`): round trips counted per piece of work, and faults injected below the SDK's retries.
 * Production code never imports this (test/unit/imports.test.ts).
 */

export { resetClient };

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

/**
 * Below the SDK's retry loop: `inject`, when set, runs before each attempt and may delay it or throw the
 * error a throttled or unreachable DynamoDB would give, so the retry bound and the error translation are
 * exercised for real.
 */
export const faults: { inject?: (operation: string) => Promise<void> | void } = {};

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

useClientPlugin({
  applyToStack(stack) {
    stack.add(
      (next, context) => async (args) => {
        const scope = roundTripScope.getStore();
        if (!scope) return next(args);
        scope.operations += 1;
        const action = (context.commandName ?? '').replace(/Command$/, '');
        scope.actions.add((args.input as { IndexName?: string }).IndexName ? `${action}@index` : action);
        for (const partition of partitionsNamedBy(args.input as DynamoInput)) scope.partitions.add(partition);
        scope.pending += 1;
        // Asked for only inside a scope that measures capacity: other requests are sent as built.
        if (scope.measureCapacity) (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
        try {
          const result = await next(args);
          scope.capacityUnits += unitsOf((result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity);
          return result;
        } finally {
          scope.pending -= 1;
        }
      },
      { step: 'initialize', name: 'countRoundTrips' },
    );
    stack.add(
      (next, context) => async (args) => {
        const scope = roundTripScope.getStore();
        if (scope) scope.attempts += 1;
        await faults.inject?.(context.commandName ?? '');
        return next(args);
      },
      // After the retry middleware (finalizeRequest, high priority), so it runs once per attempt.
      { step: 'finalizeRequest', priority: 'low', name: 'injectFaults' },
    );
  },
});
