/**
 * The local DynamoDB: a real DynamoDB-API server (dynalite) started by the project itself, with the table
 * created exactly as serverless.yml declares it. Used by `npm start`, the test suite and the benchmark.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export interface LocalDynamo {
  endpoint: string;
  port: number;
  close(): Promise<void>;
  /** In a separate process: its pid, and why it ended, if it ends without `close()` (`npm start` supervises it). */
  process?: { pid: number; died: Promise<string> };
}

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Starts dynalite on loopback: in memory unless `path` names a LevelDB folder to persist to. With
 * `separateProcess` it runs in a child process, as a remote DynamoDB would: the benchmark uses that so the
 * server's CPU is not taken from the client it measures.
 */
export async function startLocalDynamo(
  options: { port?: number; path?: string; separateProcess?: boolean } = {},
): Promise<LocalDynamo> {
  if (options.separateProcess) return startDynaliteProcess(options.port ?? (await freePort()), options.path);
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

async function startDynaliteProcess(port: number, path?: string): Promise<LocalDynamo> {
  const args = [`${root}node_modules/dynalite/cli.js`, '--host', '127.0.0.1', '--port', String(port)];
  for (const flag of ['--createTableMs', '--deleteTableMs', '--updateTableMs']) args.push(flag, '0');
  if (path) args.push('--path', path);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let closing = false;
  const died = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => !closing && resolve(signal ? `killed by ${signal}` : `exited with code ${code}`)),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    if (attempt > 100 || child.exitCode !== null) throw new Error(`dynalite did not start on ${endpoint}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    endpoint,
    port,
    process: { pid: child.pid!, died },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * `count` distinct free ports on loopback right now, the OS picks them (for child processes to listen on): every probe stays open until all are chosen (probes closed one by one can be
 * handed the same port twice).
 */
export async function freePorts(count: number): Promise<number[]> {
  const probes = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const probe = createServer();
          probe.once('error', reject);
          probe.listen(0, '127.0.0.1', () => resolve(probe));
        }),
    ),
  );
  const ports = probes.map((probe) => (probe.address() as AddressInfo).port);
  await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))));
  return ports;
}

/** A port free on loopback right now, the OS picks it (for a child process to listen on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
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
    // A new table is CREATING until it is ACTIVE (in dynalite too, if only for a tick): until then every
    // item call answers ResourceNotFoundException.
    for (let attempt = 0; ; attempt += 1) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') break;
      if (attempt >= 200) throw new Error(`table ${tableName} is still ${Table?.TableStatus}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
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
