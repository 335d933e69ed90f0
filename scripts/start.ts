/**
 * `npm start`: the whole service on this machine.
 *   1. a local DynamoDB-API server (dynalite), persisted under .data/ (or `--in-memory`);
 *   2. the table, created exactly as serverless.yml declares it;
 *   3. the demo data, seeded idempotently;
 *   4. `serverless offline` on 127.0.0.1:3000 with every function.
 * Ctrl-C stops everything.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '../lib/core/secrets.js';
import { DEMO_CONSOLE_PROXY_KEY, DEMO_OPERATOR_KEY, seedDemoData } from './demo-data.js';
import { ensureTable, startLocalDynamo } from './local-dynamodb.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const inMemory = process.argv.includes('--in-memory');
const httpPort = Number(process.env.HTTP_PORT ?? 3000);
const dynamoPort = Number(process.env.DYNAMODB_PORT ?? 8000);
const stage = 'local';
const tableName = `console-broker-${stage}`;

const dataDir = `${root}.data/dynamodb`;
if (!inMemory) mkdirSync(dataDir, { recursive: true });
const dynamo = await startLocalDynamo({ port: dynamoPort, path: inMemory ? undefined : dataDir });

// The SDK needs credentials and a region even against a local endpoint; serverless-offline passes AWS_*
// variables through to the handlers, and serverless.yml passes the rest.
Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  DYNAMODB_ENDPOINT: dynamo.endpoint,
  TABLE_NAME: tableName,
  OPERATOR_KEY_SHA256: process.env.OPERATOR_KEY_SHA256 ?? sha256Hex(DEMO_OPERATOR_KEY),
  CONSOLE_PROXY_KEY_SHA256: process.env.CONSOLE_PROXY_KEY_SHA256 ?? sha256Hex(DEMO_CONSOLE_PROXY_KEY),
  HTTP_PORT: String(httpPort),
});

await ensureTable(dynamo.endpoint, tableName);
await seedDemoData();
console.log(`DynamoDB (dynalite) on ${dynamo.endpoint}, table ${tableName}, ${inMemory ? 'in memory' : `data in ${dataDir}`}`);

const offline = spawn(
  process.execPath,
  [`${root}node_modules/serverless/bin/serverless.js`, 'offline', 'start', '--stage', stage],
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: process.env },
);

let stopping = false;
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  offline.kill('SIGTERM');
  await dynamo.close();
  process.exit(code);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
offline.on('exit', (code) => void stop(code ?? 0));

// Tell the user where to go once the API answers.
for (let attempt = 0; attempt < 240 && !stopping; attempt += 1) {
  const ready = await fetch(`http://127.0.0.1:${httpPort}/health`).then((response) => response.ok, () => false);
  if (ready) {
    console.log(`console-broker listening on http://127.0.0.1:${httpPort} (demo tenants acme and globex; see README)`);
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}
