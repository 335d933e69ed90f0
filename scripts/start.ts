/**
 * `npm start`: the whole service on this machine.
 *   1. a local DynamoDB-API server (dynalite), persisted under .data/ (or `--in-memory`);
 *   2. the table, created exactly as serverless.yml declares it;
 *   3. the demo data, seeded idempotently;
 *   4. `serverless offline` with every function, behind the front door of scripts/local-api.ts on 127.0.0.1:3000.
 *   5. the console proxy on 127.0.0.1:6080 (CONSOLE_PROXY_BASE_URL), where Nova console URLs open.
 * Ctrl-C stops everything.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '../lib/core/secrets.js';
import { DEMO_CONSOLE_PROXY_KEY, DEMO_OPERATOR_KEY, seedDemoData } from './demo-data.js';
import { startLocalApi } from './local-api.js';
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
  // The stack is fixed at Node 20 (see the README); the SDK's "needs Node 22 from 2027" notice is known.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  DYNAMODB_ENDPOINT: dynamo.endpoint,
  TABLE_NAME: tableName,
  OPERATOR_KEY_SHA256: process.env.OPERATOR_KEY_SHA256 ?? sha256Hex(DEMO_OPERATOR_KEY),
  CONSOLE_PROXY_KEY_SHA256: process.env.CONSOLE_PROXY_KEY_SHA256 ?? sha256Hex(DEMO_CONSOLE_PROXY_KEY),
  HTTP_PORT: String(httpPort),
});

await ensureTable(dynamo.endpoint, tableName);
await seedDemoData();
console.log(`DynamoDB (dynalite) on ${dynamo.endpoint}, table ${tableName}, ${inMemory ? 'in memory' : `data in ${dataDir}`}`);

// serverless-offline behind a front door that answers as API Gateway would (scripts/local-api.ts).
const api = await startLocalApi({ port: httpPort, stage, env: process.env });
const offline = api.offline;

let stopping = false;
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  await api.close();
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
    await startConsoleProxyBeside(`http://127.0.0.1:${httpPort}`);
    await startDemoGuestAgent(`http://127.0.0.1:${httpPort}`);
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}

/**
 * The demo VM vm-101's "VMware Tools": a guest agent on this machine, enrolled through the operator API,
 * accepting the guest account demo / demo-guest-pass (programs really run here, as the current user).
 */
async function startDemoGuestAgent(apiUrl: string): Promise<void> {
  const { GuestAgent } = await import('../agent/agent.js');
  const { hashPassword } = await import('../lib/core/secrets.js');
  const issued = await fetch(`${apiUrl}/operator/v1/tenants/acme/vms/vm-101/agent-credentials`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_OPERATOR_KEY}` },
  });
  if (!issued.ok) return console.error(`guest agent for vm-101 not started: ${issued.status} ${await issued.text()}`);
  const { credential } = (await issued.json()) as { credential: string };
  const agent = new GuestAgent({
    apiUrl,
    credential,
    accounts: [{ userName: 'demo', passwordHash: await hashPassword('demo-guest-pass') }],
    log: (message, fields) => console.log(JSON.stringify({ service: 'guest-agent', message, ...fields })),
  });
  await agent.start();
  process.on('exit', () => void agent.stop());
  console.log('guest agent running for acme/vm-101 (guest account demo / demo-guest-pass)');
}

/** The console proxy beside the API, as a hosted console service runs it (`npm run proxy` runs it alone). */
async function startConsoleProxyBeside(apiUrl: string): Promise<void> {
  const { startConsoleProxy } = await import('../proxy/server.js');
  const { consoleProxyConfigFromEnv } = await import('../proxy/config.js');
  const settings = consoleProxyConfigFromEnv({
    ...process.env,
    CONSOLE_BROKER_API_URL: apiUrl,
    CONSOLE_PROXY_KEY: process.env.CONSOLE_PROXY_KEY ?? DEMO_CONSOLE_PROXY_KEY,
  });
  await startConsoleProxy(settings).then(
    (proxy) => console.log(`console proxy on ${proxy.url}: console URLs (${proxy.url}/vnc_auto.html?path=%3Ftoken%3D<token>) open here`),
    (error: Error) => console.error(`console proxy not started: ${error.message}`),
  );
}
