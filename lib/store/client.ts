import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.js';

/** Middleware added to every client the store creates (what `middlewareStack.use` takes). */
export type ClientPlugin = Parameters<DynamoDBClient['middlewareStack']['use']>[0];

const plugins: ClientPlugin[] = [];
let documentClient: DynamoDBDocumentClient | undefined;

/**
 * Adds middleware to the current client and every later one. Production adds none: the tests' round-trip
 * counting and fault injection (test/support/store-instrumentation.ts) come in this way, from outside.
 */
export function useClientPlugin(plugin: ClientPlugin): void {
  plugins.push(plugin);
  documentClient?.middlewareStack.use(plugin);
}

/** Forgets the client, so the next call picks up a changed endpoint (tests and the bench restart DynamoDB). */
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
  for (const plugin of plugins) base.middlewareStack.use(plugin);
  documentClient = DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export const tableName = (): string => config.tableName();
