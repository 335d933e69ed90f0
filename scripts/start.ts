/**
 * `npm start`: the whole service on this machine, supervised (scripts/supervisor.ts).
 *   1. a local DynamoDB-API server (dynalite, its own process), persisted under .data/ (or `--in-memory`), and
 *      a local S3-API server (s3rver, scripts/local-s3.ts) with the recording bucket, persisted under .data/s3
 *      (or a temporary folder with `--in-memory`), where the console proxy writes console recordings;
 *   2. the table, created exactly as serverless.yml declares it;
 *   3. the demo data, seeded idempotently;
 *   4. `serverless offline` with every function (its own process group), behind the front door of
 *      scripts/local-api.ts on 127.0.0.1:3000, which answers as API Gateway would where serverless-offline cannot,
 *      and on https://127.0.0.1:3443 too (a self-signed certificate made at start, for https-only clients);
 *   5. the console proxy on 127.0.0.1:6080 (CONSOLE_PROXY_BASE_URL), where Nova console URLs open (its own
 *      process, so that nothing a browser sends it can take the rest down);
 *   6. a VNC server drawing each powered-on demo VM's screen on its VNC endpoint (127.0.0.1:5901…), in a
 *      process of its own (scripts/demo-screen/), so that a console URL opens a live screen (`--xvnc`: a
 *      real Xvnc desktop each, where TigerVNC is installed);
 *   7. the demo guest agent, in this process.
 * serverless-offline also runs the tenant deletion job: the DELETE invokes it on the Lambda port
 * (LAMBDA_ENDPOINT), and its sweeper on its `schedule` (serverless-offline runs schedule events itself).
 * If any part dies, the others are stopped and npm start exits 1, saying which part and why. Ctrl-C stops
 * everything (exit 0).
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '../lib/protocol/secrets.js';
import { consoleProxyConfigFromEnv } from '../proxy/config.js';
import { errorSummary } from '../proxy/log.js';
import { DEMO_CONSOLE_PROXY_KEY, DEMO_OPERATOR_KEY, seedDemoData } from './demo-data.js';
import { startLocalApi } from './local-api.js';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from './local-s3.js';
import { ensureTable, startLocalDynamo } from './local-dynamodb.js';
import { supervisor } from './supervisor.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const inMemory = process.argv.includes('--in-memory');
const httpPort = Number(process.env.HTTP_PORT ?? 3000);
const httpsPort = Number(process.env.HTTPS_PORT ?? 3443);
const dynamoPort = Number(process.env.DYNAMODB_PORT ?? 8000);
// s3rver's own default port.
const s3Port = Number(process.env.S3_PORT ?? 4568);
// serverless-offline's Lambda-API port (serverless.yml's lambdaPort): the tenant deletion job is invoked there.
const lambdaPort = Number(process.env.LAMBDA_PORT ?? 3002);
const stage = 'local';
const tableName = `console-broker-${stage}`;

const parts = supervisor();
process.on('SIGINT', () => void parts.stop());
process.on('SIGTERM', () => void parts.stop());
// This process runs the demo guest agent and the start-up steps: whatever kills it stops the rest first.
const crash = (error: unknown) => void parts.fail('npm start (the demo guest agent runs in it)', `failed: ${JSON.stringify(errorSummary(error))}`);
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

const dataDir = `${root}.data/dynamodb`;
if (!inMemory) mkdirSync(dataDir, { recursive: true });
const dynamo = await startLocalDynamo({ port: dynamoPort, path: inMemory ? undefined : dataDir, separateProcess: true });
const dynalite = dynamo.process!;
parts.part('dynalite', dynalite.died, () => dynamo.close(), () => signal(dynalite.pid, 'SIGKILL'));
console.log(`dynalite started (pid ${dynalite.pid})`);

// s3rver runs in this process (as the demo guest agent does): it is light, and if this process dies, so does everything.
const s3Dir = `${root}.data/s3`;
const s3: LocalS3 = await startLocalS3({ port: s3Port, ...(inMemory ? {} : { directory: s3Dir }) });
parts.part('local S3 (s3rver)', new Promise<string>(() => undefined), () => s3.close());

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
  HTTPS_PORT: String(httpsPort),
  // The guest agents' WebSocket API (serverless-offline's own port; the demo agent holds one connection).
  WEBSOCKET_PORT: process.env.WEBSOCKET_PORT ?? '3001',
  LAMBDA_PORT: String(lambdaPort),
  LAMBDA_ENDPOINT: `http://127.0.0.1:${lambdaPort}`,
});

await ensureTable(dynamo.endpoint, tableName);
await seedDemoData();
console.log(`DynamoDB (dynalite) on ${dynamo.endpoint}, table ${tableName}, ${inMemory ? 'in memory' : `data in ${dataDir}`}`);
console.log(`S3 (s3rver) on ${s3.endpoint}, bucket ${s3.bucket}, ${inMemory ? 'in a temporary folder' : `data in ${s3Dir}`}`);

// serverless-offline (its own process group, so that stopping it stops every worker it started) behind a
// front door that answers as API Gateway would (scripts/local-api.ts).
const api = await startLocalApi({ port: httpPort, httpsPort, stage, env: process.env, detached: true });
parts.child('serverless-offline', api.offline, { group: true });
parts.part('API front door', new Promise<string>(() => undefined), () => api.close());
console.log(`serverless-offline started (pid ${api.offline.pid})`);

const apiUrl = `http://127.0.0.1:${httpPort}`;
if (!(await answers(`${apiUrl}/health`, 240))) await parts.fail('serverless-offline', `did not answer ${apiUrl}/health within 2 minutes`);
console.log(`console-broker listening on ${apiUrl} and ${api.httpsUrl} (self-signed; demo tenants acme and globex; see README)`);
await startConsoleProxyBeside(apiUrl, api.websocketUrl);
await startDemoScreens();
await startDemoGuestAgent(apiUrl).catch((error: unknown) => parts.fail('demo guest agent', `could not start: ${(error as Error).message}`));

function signal(pid: number, which: NodeJS.Signals): void {
  try {
    process.kill(pid, which);
  } catch {
    // already gone
  }
}

/** Whether `url` answers 2xx within `attempts` half-seconds (false at once when npm start is stopping). */
async function answers(url: string, attempts: number): Promise<boolean> {
  for (let attempt = 0; attempt < attempts && !parts.stopping; attempt += 1) {
    if (await fetch(url).then((response) => response.ok, () => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

/**
 * The demo VM vm-101's "VMware Tools": a guest agent on this machine, enrolled through the operator API,
 * accepting the guest account demo / demo-guest-pass (programs really run here, as the current user).
 */
async function startDemoGuestAgent(apiUrl: string): Promise<void> {
  const { GuestAgent } = await import('../agent/agent.js');
  const { hashPassword } = await import('../lib/protocol/secrets.js');
  const issued = await fetch(`${apiUrl}/operator/v1/tenants/acme/vms/vm-101/agent-credentials`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_OPERATOR_KEY}` },
  });
  if (!issued.ok) throw new Error(`enrolment of acme/vm-101 answered ${issued.status} ${await issued.text()}`);
  const { credential } = (await issued.json()) as { credential: string };
  const agent = new GuestAgent({
    apiUrl,
    credential,
    accounts: [{ userName: 'demo', passwordHash: await hashPassword('demo-guest-pass') }],
    // A demo of a guest: as the current user even when that is root (there is no OS user demo); it says so at start.
    runAs: 'agent',
    log: (message, fields) => console.log(JSON.stringify({ service: 'guest-agent', message, ...fields })),
  });
  await agent.start();
  process.on('exit', () => void agent.stop());
  console.log(`guest agent running for acme/vm-101 (guest account demo / demo-guest-pass, on Node ${process.versions.node})`);
}

/**
 * The console proxy beside the API, as a hosted console service runs it (`npm run proxy` runs it alone), in
 * a process of its own. The IPC channel ends it if this process is gone.
 */
async function startConsoleProxyBeside(apiUrl: string, ordersUrl: string): Promise<void> {
  const env = {
    ...process.env,
    CONSOLE_BROKER_API_URL: apiUrl,
    CONSOLE_PROXY_KEY: process.env.CONSOLE_PROXY_KEY ?? DEMO_CONSOLE_PROXY_KEY,
    // Orders to end consoles are pushed over the agents' WebSocket API (docs/sessions.md).
    CONSOLE_PROXY_ORDERS_URL: process.env.CONSOLE_PROXY_ORDERS_URL || ordersUrl,
    // Console recordings go to the local S3 (docs/recording.md), unless another bucket is named.
    ...(process.env.CONSOLE_PROXY_RECORDING_BUCKET
      ? {}
      : {
          CONSOLE_PROXY_RECORDING_BUCKET: s3.bucket,
          CONSOLE_PROXY_S3_ENDPOINT: s3.endpoint,
          CONSOLE_PROXY_S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
          CONSOLE_PROXY_S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
        }),
  };
  const settings = consoleProxyConfigFromEnv(env);
  const proxy = spawn(process.execPath, ['--import', 'tsx', `${root}proxy/main.ts`], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  parts.child('console proxy', proxy);
  console.log(`console proxy started (pid ${proxy.pid})`);
  const url = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.port}`;
  if (!(await answers(`${url}/health`, 120))) await parts.fail('console proxy', `did not answer ${url}/health within a minute`);
}

/** The demo VMs' screens (scripts/demo-screen/main.ts), in a process of their own; the IPC channel ends it. */
async function startDemoScreens(): Promise<void> {
  const args = process.argv.includes('--xvnc') ? ['--xvnc'] : [];
  const screens = spawn(process.execPath, ['--import', 'tsx', `${root}scripts/demo-screen/main.ts`, ...args], { cwd: root, env: process.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  parts.child('demo screens', screens);
  console.log(`demo screens started (pid ${screens.pid})`);
  // It says when it listens; if it dies first, the supervisor says so and stops everything.
  await new Promise<void>((resolve) => {
    screens.once('message', () => resolve());
    screens.once('exit', () => resolve());
  });
}
