/**
 * The local DynamoDB: a real DynamoDB-API server (dynalite) started by the project itself, with the table
 * created exactly as serverless.yml declares it. Used by `npm start`, the test suite and the benchmark.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export interface LocalDynamo {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** Starts dynalite on loopback: in memory unless `path` names a LevelDB folder to persist to. */
export async function startLocalDynamo(options: { port?: number; path?: string } = {}): Promise<LocalDynamo> {
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The table resource exactly as serverless.yml declares it. */
export function tableDefinition(): Record<string, any> {
  const serverless = parse(readFileSync(`${root}/serverless.yml`, 'utf8'));
  return serverless.resources.Resources.ConsoleBrokerTable.Properties;
}

/** Creates the table from serverless.yml if it does not exist yet, and enables TTL where supported. */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
      return;
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode, TimeToLiveSpecification } =
      tableDefinition();
    await client.send(
      new CreateTableCommand({ TableName: tableName, AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode }),
    );
    try {
      await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification }));
    } catch (error) {
      // dynalite does not implement UpdateTimeToLive; every read checks expiresAt itself anyway.
      if (!/UnknownOperation|not supported|UnrecognizedClient/i.test(`${(error as Error).name} ${(error as Error).message}`)) {
        throw error;
      }
    }
  } finally {
    client.destroy();
  }
}
