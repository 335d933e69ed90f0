/**
 * `npm run bench`: the service's performance claims, measured in one run on one machine so that the figures
 * are ratios, not just times. Starts its own in-memory dynalite; everything on loopback; every loop bounded
 * by count and time. Prints a table, writes bench/results.json (keeping the previous run, so a regression
 * shows in the diff) and the figures into docs/benchmarks.md between the bench markers.
 */
import { BatchGetCommand, DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { parse } from 'yaml';
import { ensureTable, startLocalDynamo } from '../scripts/local-dynamodb.js';
import { testEnvironment } from '../test/support/environment.js';
import { runFleet } from './fleet-report.js';
import { writeReadmeSection } from './readme.js';
import { measurePush, pushMarkdown } from './push.js';
import { runProxyBench } from './proxy-vs-websockify.js';
import { runRecordingBench } from './recording.js';
import { measureValidation } from './validation.js';
import { median, percentile, round } from './stats.js';
import { measureSoap, soapMarkdown } from './soap.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const TABLE = 'console-broker-bench';
const CONCURRENCY = 16;

interface Rate {
  ops: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}


/** Runs `operation(i)` with CONCURRENCY in flight until `count` are done or `maxMs` passed. */
async function rate(count: number, maxMs: number, operation: (index: number) => Promise<void>): Promise<Rate> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count && performance.now() - started < maxMs) {
      const index = next++;
      const t0 = performance.now();
      await operation(index);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1000;
  return { ops: latencies.length, opsPerSecond: round(latencies.length / elapsed, 0), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) };
}

const ROUNDS = 5;

/**
 * Runs each operation `count` times in all, round-robin over ROUNDS rounds, so that a noisy spell on a shared
 * machine hits every operation alike. Each operation's figure is its median round; a ratio is the median of
 * the per-round ratios (operations compared within the same round).
 */
async function interleaved<K extends string>(count: number, operations: Record<K, (index: number) => Promise<void>>) {
  const names = Object.keys(operations) as K[];
  const rounds: Record<K, Rate>[] = [];
  const perRound = Math.ceil(count / ROUNDS);
  for (let pass = 0; pass < ROUNDS; pass += 1) {
    const results = {} as Record<K, Rate>;
    for (const name of names) {
      results[name] = await rate(perRound, LIMIT_MS / ROUNDS, (index) => operations[name](pass * perRound + index));
    }
    rounds.push(results);
  }
  const figure = (name: K): Rate => {
    const byRate = [...rounds].sort((a, b) => a[name].opsPerSecond - b[name].opsPerSecond);
    return byRate[Math.floor(byRate.length / 2)]![name];
  };
  return {
    figures: Object.fromEntries(names.map((name) => [name, figure(name)])) as Record<K, Rate>,
    ratio: (a: K, b: K) => round(median(rounds.map((results) => results[a].opsPerSecond / results[b].opsPerSecond))),
  };
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const N = 2000;
const LIMIT_MS = 8000;

/** What every in-process section uses: the seeded demo data's session, and the modules it measures (imported once the environment is set). */
async function loadBench(dynamoEndpoint: string) {
  Object.assign(process.env, testEnvironment(dynamoEndpoint), { TABLE_NAME: TABLE, LOG_LEVEL: 'SILENT' });
  await ensureTable(dynamoEndpoint, TABLE);
  const { seedDemoData } = await import('../scripts/demo-data.js');
  await seedDemoData();
  const support = await import('../test/support/api.js');
  const { client } = await import('../lib/store/client.js');
  const { countRoundTrips } = await import('../test/support/store-instrumentation.js');
  const { keys } = await import('../lib/store/keys.js');
  const { sha256Hex } = await import('../lib/protocol/secrets.js');
  const sessionId = await support.loginVcenter();
  const createEvent = () =>
    support.buildEvent('POST', '/api/vcenter/vm/vm-101/console/tickets', { headers: support.session(sessionId), body: { type: 'WEBMKS' } })!.event;
  const redeemEvent = (ticket: string) =>
    support.buildEvent('POST', '/console-proxy/v1/redemptions', { headers: support.CONSOLE_PROXY, body: { ticket } })!.event;
  const count = async (operation: () => Promise<unknown>) => (await countRoundTrips(operation)).roundTrips;
  return { ...support, client, keys, sha256Hex, sessionId, createEvent, redeemEvent, count };
}
type Bench = Awaited<ReturnType<typeof loadBench>>;

const ticketOf = (body: { ticket: string }) => /\/ticket\/(.+)$/.exec(body.ticket)![1]!;

/** Round trips per operation, counted for that operation alone (test/support/store-instrumentation.ts). */
async function measureRoundTrips({ api, basic, invoke, createEvent, redeemEvent, count }: Bench) {
  const issued = await invoke(createEvent());
  return {
    ticketCreate: await count(() => invoke(createEvent())),
    redemption: await count(() => invoke(redeemEvent(ticketOf(issued.body)))),
    login: await count(() => api('POST', '/api/session', { headers: basic('admin@acme', 'acme-admin-pass') })),
  };
}

/**
 * Guest processes go through a real guest agent (it verifies the guest credentials on every operation),
 * reached over HTTP like a guest's; only the API side of each call is counted. Then one agent call's duration
 * in the handler (a heartbeat: one GetItem, one UpdateItem), for the Lambda GB-s.
 */
async function measureGuestProcesses({ api, session, sessionId, count }: Bench) {
  const { startApiServer } = await import('../test/support/http-server.js');
  const { GuestAgent } = await import('../agent/agent.js');
  const { hashPassword } = await import('../lib/protocol/secrets.js');
  const apiServer = await startApiServer();
  const { credential } = (
    await api('POST', '/operator/v1/tenants/acme/vms/vm-101/agent-credentials', { headers: { authorization: 'Bearer demo-operator-key' } })
  ).body as { credential: string };
  const agent = new GuestAgent({
    apiUrl: apiServer.url,
    credential,
    accounts: [{ userName: 'demo', passwordHash: await hashPassword('demo-guest-pass') }],
    runAs: 'agent', // as the bench's own user, root or not: there is no OS user demo
    pollIntervalMs: 20,
    maxPollIntervalMs: 20,
    log: () => undefined,
  });
  await agent.start();
  const guest = { credentials: { type: 'USERNAME_PASSWORD', user_name: 'demo', password: 'demo-guest-pass', interactive_session: false } };
  const guestCall = (path: string, body: unknown = guest) => api('POST', path, { headers: session(sessionId), body });
  const started = await guestCall('/api/vcenter/vm/vm-101/guest/processes?action=create', { ...guest, spec: { path: '/bin/sleep', arguments: '30' } });
  if (started.status !== 200) throw new Error(`process create: ${started.status} ${started.text}`);
  const processGet = await count(() => guestCall(`/api/vcenter/vm/vm-101/guest/processes/${started.body}?action=get`));
  const processList = await count(() => guestCall('/api/vcenter/vm/vm-101/guest/processes?action=list'));
  const listRate = await rate(200, LIMIT_MS, async () => {
    const answer = await guestCall('/api/vcenter/vm/vm-101/guest/processes?action=list');
    if (answer.status !== 200) throw new Error(`process list: ${answer.status} ${answer.text}`);
  });
  await guestCall(`/api/vcenter/vm/vm-101/guest/processes/${started.body}?action=delete`);
  await agent.stop();
  await apiServer.close();
  const heartbeatMs: number[] = [];
  for (let index = 0; index < 50; index += 1) {
    const t0 = performance.now();
    await api('POST', '/agent/v1/heartbeats', { headers: { authorization: `Bearer ${credential}` } });
    heartbeatMs.push(performance.now() - t0);
  }
  return { roundTrips: { processGet, processList }, listRate, agentCallMs: Math.ceil(median(heartbeatMs)) };
}

/** A ticket as the store writes it, under a partition of the bench's own: what the raw calls put and delete. */
const rawTicketItem = (keys: Bench['keys'], index: number) => ({
  pk: keys.tenantPartition('bench'),
  sk: `RAW#${index}#${randomBytes(8).toString('hex')}`,
  tenantId: 'acme',
  ticketHash: randomBytes(32).toString('hex'),
  vmMoId: 'vm-101',
  instanceUuid: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101',
  consoleType: 'WEBMKS',
  issuedTo: 'admin@acme',
  grants: 'VirtualMachine.Interact.ConsoleInteract',
  vnc: { host: '127.0.0.1', port: 5901 },
  issuedAt: new Date().toISOString(),
  expiresAt: Math.floor(Date.now() / 1000) + 1800,
});

/** In-process ticket create against the local DynamoDB, next to the raw calls it is made of. @returns also the raw items, for the redemptions. */
async function measureCreates({ client, keys, sha256Hex, sessionId, invoke, createEvent }: Bench) {
  const rawItems: { pk: string; sk: string }[] = [];
  const rawPutItem = async (index: number) => {
    const Item = rawTicketItem(keys, index);
    rawItems.push({ pk: Item.pk, sk: Item.sk });
    await client().send(new PutCommand({ TableName: TABLE, Item, ConditionExpression: 'attribute_not_exists(pk)' }));
  };
  // What ticket create is made of: the tenant, the session and the VM in one BatchGetItem, then the write.
  const [sessionTenant, userKey, sessionSecret] = sessionId.split('.') as [string, string, string];
  const readKeys = [keys.tenant(sessionTenant), keys.session(sessionTenant, userKey, sha256Hex(sessionSecret)), keys.vm('acme', 'vm-101')];
  const creates = await interleaved(N, {
    ticketCreate: async () => {
      const answer = await invoke(createEvent());
      if (answer.status !== 201) throw new Error(`ticket create: ${answer.status} ${answer.text}`);
    },
    rawPut: rawPutItem,
    rawBatchGetPut: async (index) => {
      await client().send(new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: readKeys, ConsistentRead: true } } }));
      await rawPutItem(N + index);
    },
  });
  return { creates, rawItems };
}

/** In-process redemption of tickets issued beforehand, next to the raw conditional delete it is made of. */
async function measureRedemptions({ client, invoke, redeemEvent }: Bench, rawItems: { pk: string; sk: string }[]) {
  const Tickets = await import('../lib/core/tickets.js');
  const { CONSOLE_PRIVILEGE } = await import('../lib/core/privileges.js');
  const { getVm } = await import('../lib/core/inventory.js');
  const tickets: string[] = [];
  const admin = { tenantId: 'acme', userName: 'admin@acme', privileges: [CONSOLE_PRIVILEGE] } as never;
  const vm = await getVm('acme', 'vm-101');
  for (let index = 0; index < N; index += 1) tickets.push((await Tickets.issueTicket(admin, vm, 'WEBMKS', CONSOLE_PRIVILEGE)).ticket);
  return interleaved(Math.min(N, rawItems.length), {
    redemption: async (index) => {
      const answer = await invoke(redeemEvent(tickets[index]!));
      if (answer.status !== 200) throw new Error(`redemption: ${answer.status} ${answer.text}`);
    },
    rawDelete: async (index) => {
      await client().send(
        new DeleteCommand({
          TableName: TABLE,
          Key: rawItems[index]!,
          ConditionExpression: 'attribute_exists(pk) AND #e > :now',
          ExpressionAttributeNames: { '#e': 'expiresAt' },
          ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
          ReturnValues: 'ALL_OLD',
        }),
      );
    },
  });
}

/** Request validation alone (zod), on the busiest calls' inputs; BENCH_BASELINE_TREE (an earlier checkout) measured too. */
async function measureValidations() {
  const validation = await measureValidation(root.replace(/\/$/, ''));
  const baselineTree = process.env.BENCH_BASELINE_TREE;
  const validationBaseline = baselineTree ? { tree: baselineTree, parsesPerSecond: await measureValidation(baselineTree) } : undefined;
  return { validation, validationBaseline };
}

async function main() {
  // DynamoDB is a remote service: its stand-in gets its own process, so its CPU is not the client's.
  const dynamo = await startLocalDynamo({ separateProcess: true });
  const bench = await loadBench(dynamo.endpoint);
  const roundTrips = await measureRoundTrips(bench);
  const guest = await measureGuestProcesses(bench);
  // The push hand-off on serverless-offline's WebSocket API: idle cost, create → claim, calls per create.
  const push = await measurePush(dynamo.endpoint, TABLE);
  const { creates, rawItems } = await measureCreates(bench);
  const redemptions = await measureRedemptions(bench, rawItems);
  // Each redemption opened a console in the registry (docs/sessions.md); their proxy's end reports would remove
  // them. Removed here, so that the VM's console limit does not refuse the ticket creates below.
  const Store = await import('../lib/store/index.js');
  await Store.deleteOpenConsoles(await Store.openConsolesOfVm('acme', 'vm-101'));
  // vim25 over SOAP next to the JSON binding (bench/soap.ts).
  const soap = await measureSoap(await import('../test/support/api.js'));
  // HTTP through serverless offline, ticket create next to the trivial health handler.
  const http = await measureHttp(dynamo.endpoint, bench.sessionId);
  const functions = await measureBundles(bench.routes, bench.buildEvent, bench.loginVcenter);
  await dynamo.close();
  // The console proxy's data path next to websockify's (figures also go to docs/proxy.md).
  const proxyVsWebsockify = await runProxyBench();
  // Recording on versus off on the same proxy, and what a recorded console-hour costs (docs/recording.md).
  await runRecordingBench();
  const processNote =
    'measured with guest credentials the agent accepted lately (their verifier is in the table; new credentials ' +
    'go through the agent once); list and get pay one scrypt verification each';
  report({
    measuredAt: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
    roundTripsPerOperation: { ...roundTrips, ...guest.roundTrips },
    notes: [processNote],
    inProcess: {
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      ticketCreate: creates.figures.ticketCreate,
      rawPutItem: creates.figures.rawPut,
      ticketCreateVsRawPut: creates.ratio('ticketCreate', 'rawPut'),
      rawBatchGetThenPutItem: creates.figures.rawBatchGetPut,
      ticketCreateVsRawBatchGetPut: creates.ratio('ticketCreate', 'rawBatchGetPut'),
      processList: guest.listRate,
      redemption: redemptions.figures.redemption,
      rawDeleteItem: redemptions.figures.rawDelete,
      redemptionVsRawDelete: redemptions.ratio('redemption', 'rawDelete'),
    },
    http,
    push: { ...push, agentCallMs: guest.agentCallMs },
    functions,
    ...(await measureValidations()),
    proxyVsWebsockify,
    soap,
  });
  // The fleet benchmark seeds a tenant of its own, on a DynamoDB of its own, in a process of its own.
  console.log(`\n${await runFleet()}\n`);
}

async function measureHttp(endpoint: string, sessionId: string) {
  const port = await freePort();
  const lambdaPort = await freePort();
  const offline = spawn(process.execPath, [join(root, 'node_modules/serverless/bin/serverless.js'), 'offline', 'start', '--stage', 'bench'], {
    cwd: root,
    env: {
      ...process.env,
      ...testEnvironment(endpoint),
      TABLE_NAME: TABLE,
      LOG_LEVEL: 'SILENT',
      HTTP_PORT: String(port),
      LAMBDA_PORT: String(lambdaPort),
      WEBSOCKET_PORT: String(await freePort()),
    },
    stdio: 'ignore',
    detached: true,
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    let ready = false;
    for (let attempt = 0; attempt < 240 && !ready; attempt += 1) {
      ready = await fetch(`${base}/health`).then((response) => response.ok, () => false);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (!ready) throw new Error('serverless offline did not start');
    const load = async (path: string, method: 'GET' | 'POST', headers: Record<string, string> = {}, body?: string) => {
      const result = await autocannon({ url: `${base}${path}`, method, headers, body, connections: CONCURRENCY, duration: 6 });
      return {
        requestsPerSecond: round(result.requests.average, 0),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors,
      };
    };
    // Warm every worker first: serverless-offline loads a handler on its first request.
    await load('/health', 'GET');
    const health = await load('/health', 'GET');
    const headers = { 'vmware-api-session-id': sessionId, 'content-type': 'application/json' };
    await load('/api/vcenter/vm/vm-101/console/tickets', 'POST', headers, '{"type":"WEBMKS"}');
    const ticketCreate = await load('/api/vcenter/vm/vm-101/console/tickets', 'POST', headers, '{"type":"WEBMKS"}');
    return { connections: CONCURRENCY, health, ticketCreate, ticketCreateVsHealth: round(ticketCreate.requestsPerSecond / health.requestsPerSecond) };
  } finally {
    try {
      process.kill(-offline.pid!, 'SIGTERM');
    } catch {
      offline.kill('SIGTERM');
    }
  }
}

async function measureBundles(
  routes: { method: string; path: string; functionName: string; handler: string }[],
  buildEvent: (method: string, target: string, options?: { headers?: Record<string, string>; body?: unknown }) => { event: unknown } | undefined,
  login: () => Promise<string>,
) {
  const esbuildOptions = parse(readFileSync(join(root, 'serverless.yml'), 'utf8')).custom.esbuild;
  const out = mkdtempSync(join(tmpdir(), 'console-broker-bundles-'));
  const results: Record<string, { bundleKiB: number; coldStartMs: number; status: number }> = {};
  try {
    for (const route of routes) {
      if (results[route.functionName]) continue;
      const dot = route.handler.lastIndexOf('.');
      const [modulePath, exportName] = [route.handler.slice(0, dot), route.handler.slice(dot + 1)];
      const outfile = join(out, `${route.functionName}.mjs`);
      await build({
        entryPoints: [join(root, `${modulePath}.ts`)],
        outfile,
        bundle: esbuildOptions.bundle,
        minify: esbuildOptions.minify,
        sourcemap: esbuildOptions.sourcemap,
        target: esbuildOptions.target,
        platform: esbuildOptions.platform,
        format: esbuildOptions.format,
        banner: esbuildOptions.banner,
        logLevel: 'silent',
      });
      // A real first request that changes nothing the later ones need: deletes name a tenant that does not exist.
      const tenant = route.method === 'DELETE' ? 'bench-absent' : 'acme';
      const path = route.path.replace(/\{([^}+]+)\+?\}/g, (_match, name: string) =>
        ({ vm: 'vm-101', moId: 'vm-101', tenant, user: 'viewer@acme', release: '8.0.2.0' })[name] ?? '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101',
      );
      // Each function gets a session of its own: the logout functions end theirs.
      const sessionId = await login();
      const event = buildEvent(route.method, path, {
        headers: { 'vmware-api-session-id': sessionId, 'x-auth-token': sessionId, authorization: 'Bearer demo-operator-key' },
      })!.event;
      const answer = await coldStart(outfile, exportName!, event);
      results[route.functionName] = { bundleKiB: round(statSync(outfile).size / 1024, 1), coldStartMs: answer.ms, status: answer.status };
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return results;
}

/** A fresh node process imports the bundle and answers one real event; ms since that process started. */
function coldStart(bundle: string, exportName: string, event: unknown): Promise<{ ms: number; status: number }> {
  const script = `
    const module = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const response = await module[${JSON.stringify(exportName)}](JSON.parse(process.env.BENCH_EVENT), { awsRequestId: 'cold', getRemainingTimeInMillis: () => 29000 });
    process.stdout.write(JSON.stringify({ ms: performance.now(), status: response.statusCode }));
    process.exit(0);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, BENCH_EVENT: JSON.stringify(event), NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', () => {
      clearTimeout(timer);
      const match = /\{"ms":[^}]+\}/.exec(output);
      if (!match) return reject(new Error(`cold start of ${bundle} failed: ${output}`));
      const parsed = JSON.parse(match[0]) as { ms: number; status: number };
      resolve({ ms: round(parsed.ms, 0), status: parsed.status });
    });
  });
}

function report(current: Record<string, any>) {
  const resultsFile = join(root, 'bench/results.json');
  const previous = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')).current ?? null : null;
  writeFileSync(resultsFile, `${JSON.stringify({ previous, current }, null, 2)}\n`);

  const { roundTripsPerOperation: rt, inProcess: ip, http, functions, validation, validationBaseline } = current;
  // The same bench run today on the last Node 20 commit (zod 3, middy 6), for the figures beside today's.
  const baselineFile = join(root, 'bench/baseline-node20.json');
  const baseline = existsSync(baselineFile) ? JSON.parse(readFileSync(baselineFile, 'utf8')) : undefined;
  const before = (name: string, field: 'bundleKiB' | 'coldStartMs') => baseline?.functions?.[name]?.[field] ?? '–';
  const sharedNames = Object.keys(functions).filter((name) => baseline?.functions?.[name]);
  const medianOf = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
  const line = (name: string, r: Rate) => `| ${name} | ${r.opsPerSecond} | ${r.p50Ms} | ${r.p99Ms} |`;
  const sizes = Object.values(functions as Record<string, { bundleKiB: number; coldStartMs: number }>);
  const markdown = [
    `Measured by \`npm run bench\` on ${current.machine}, ${current.measuredAt.slice(0, 10)}; local dynalite, loopback, ${ip.concurrency} in flight; the in-process figures are the median of ${ip.rounds} interleaved rounds, each ratio the median of its per-round ratios. Full figures and the previous run: \`bench/results.json\`.`,
    '',
    `**DynamoDB round trips** (the API side of one call): ticket create ${rt.ticketCreate} (target ≤ 3, authentication included), redemption ${rt.redemption} (target 2 side by side: the one conditional DeleteItem and the tenant's deletion mark), login ${rt.login} (3 steps: the check's reservation and its release run beside the reads and the session put), process get ${rt.processGet} and process list ${rt.processList} (target ≤ 2 for get; ${current.notes[0]}).`,
    '',
    '| in-process, against local DynamoDB | ops/s | p50 ms | p99 ms |',
    '|---|---:|---:|---:|',
    line('ticket create (handler, real event)', ip.ticketCreate),
    line('raw conditional PutItem', ip.rawPutItem),
    line('raw BatchGetItem (session + VM) then conditional PutItem', ip.rawBatchGetThenPutItem),
    line('redemption (handler, real event)', ip.redemption),
    line('raw conditional DeleteItem', ip.rawDeleteItem),
    line('process list (handler, real guest agent enrolled)', ip.processList),
    '',
    soapMarkdown(current.soap),
    '',
    `Ticket create runs at **${ip.ticketCreateVsRawBatchGetPut}×** the raw calls it is made of (BatchGetItem + PutItem) and at **${ip.ticketCreateVsRawPut}×** a lone raw PutItem (target ≥ 0.5×); redemption at **${ip.redemptionVsRawDelete}×** raw DeleteItem.`,
    '',
    '| HTTP via serverless offline (autocannon) | req/s | p50 ms | p99 ms |',
    '|---|---:|---:|---:|',
    `| GET /health | ${http.health.requestsPerSecond} | ${http.health.p50Ms} | ${http.health.p99Ms} |`,
    `| POST /api/vcenter/vm/{vm}/console/tickets | ${http.ticketCreate.requestsPerSecond} | ${http.ticketCreate.p50Ms} | ${http.ticketCreate.p99Ms} |`,
    '',
    `Ticket create over HTTP runs at **${http.ticketCreateVsHealth}×** the health handler on the same stack.`,
    '',
    `**Bundles** (esbuild, minified, ${sizes.length} functions): ${round(Math.min(...sizes.map((s) => s.bundleKiB)), 0)}–${round(Math.max(...sizes.map((s) => s.bundleKiB)), 0)} KiB; **cold start** (fresh node process: import the bundle, answer one real event) ${Math.min(...sizes.map((s) => s.coldStartMs))}–${Math.max(...sizes.map((s) => s.coldStartMs))} ms.`,
    '',
    ...(baseline
      ? [
          `Beside them, the same bench on ${baseline.source} (${baseline.machine}, ${String(baseline.measuredAt).slice(0, 10)}). ` +
            `Over the ${sharedNames.length} functions both have, the median bundle is ${medianOf(sharedNames.map((n) => functions[n].bundleKiB))} KiB ` +
            `(Node 20: ${medianOf(sharedNames.map((n) => baseline.functions[n].bundleKiB))}) and the median cold start ` +
            `${medianOf(sharedNames.map((n) => functions[n].coldStartMs))} ms (Node 20: ${medianOf(sharedNames.map((n) => baseline.functions[n].coldStartMs))}).`,
          '',
        ]
      : []),
    '| function | bundle KiB | cold start ms | Node 20 bundle KiB | Node 20 cold start ms |',
    '|---|---:|---:|---:|---:|',
    ...Object.entries(functions as Record<string, { bundleKiB: number; coldStartMs: number }>).map(
      ([name, f]) => `| ${name} | ${f.bundleKiB} | ${f.coldStartMs} | ${before(name, 'bundleKiB')} | ${before(name, 'coldStartMs')} |`,
    ),
    '',
    '| request validation (one schema parse of a real request) | parses/s | the baseline tree\'s schemas, same run |',
    '|---|---:|---:|',
    ...Object.entries(validation as Record<string, number>).map(
      ([name, perSecond]) => `| ${name} | ${perSecond} | ${validationBaseline?.parsesPerSecond?.[name] ?? '–'} |`,
    ),
  ].join('\n');
  console.log(`\n${markdown}\n`);

  writeReadmeSection(join(root, 'docs', 'benchmarks.md'), 'bench', markdown);
  // The push hand-off's figures, in a section of their own.
  const pushText = pushMarkdown(current.push, current.push.agentCallMs);
  console.log(`\n${pushText}\n`);
  writeReadmeSection(join(root, 'docs', 'benchmarks.md'), 'bench:push', pushText);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
