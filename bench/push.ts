/**
 * The push hand-off, measured on `npm start`'s own serverless-offline (its WebSocket API and /@connections
 * API) against the bench's dynalite: what an idle VM costs per hour (requests, Lambda invocations, DynamoDB
 * request units), the create→claim latency of an idle agent, the API side's DynamoDB calls per guest create,
 * and a monthly cost table from those figures and AWS's public list prices. The polling fallback is measured
 * beside it, with the agent's defaults.
 *
 * Time is scaled for the idle figures: the agent's health interval (9 min) and renewal (110 min) run 1000×
 * faster, and the counts of the scaled hours are the counts of real ones (nothing else happens on an idle VM).
 */
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { freePort } from '../scripts/local-dynamodb.js';
import { startLocalApi } from '../scripts/local-api.js';
import { testEnvironment } from '../test/support/environment.js';
import { dynamoRelay } from './dynamo-relay.js';
import { median, percentile, round } from './stats.js';

const SCALE = 1000;
const IDLE_HOURS = 6;
const POLL_WINDOW_MS = 30_000;
const CREATES = 30;

/** us-east-1 list prices, December 2026 (see the README's cost table for the pages). */
export const PRICES = {
  websocketMessagePerMillion: 1.0,
  websocketConnectionMinutePerMillion: 0.25,
  httpRequestPerMillion: 1.0,
  lambdaRequestPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  lambdaMemoryGb: 0.25,
  dynamoWriteUnitPerMillion: 0.625,
  dynamoReadUnitPerMillion: 0.125,
};

interface DynamoCount {
  operations: number;
  readUnits: number;
  writeUnits: number;
}

/** A DynamoDB endpoint in front of dynalite that counts operations and request units (items here are < 1 KB). */
async function countingDynamo(target: string) {
  const count: DynamoCount = { operations: 0, readUnits: 0, writeUnits: 0 };
  const { endpoint, server } = await dynamoRelay(target, (action, body) => tally(count, action, body));
  return { endpoint, count, close: () => server.close() };
}

function tally(count: DynamoCount, action: string, body: Buffer): void {
  count.operations += 1;
  if (action === 'BatchGetItem') {
    const request = JSON.parse(body.toString('utf8')) as { RequestItems: Record<string, { Keys: unknown[] }> };
    count.readUnits += Object.values(request.RequestItems).reduce((sum, table) => sum + table.Keys.length, 0);
  } else if (['GetItem', 'Query', 'Scan'].includes(action)) count.readUnits += 1; // strongly consistent, < 4 KB
  else if (['PutItem', 'UpdateItem', 'DeleteItem'].includes(action)) count.writeUnits += 1; // < 1 KB
}

/** A relay in front of the WebSocket API counting frames both ways and connections opened and closed. */
async function countingRelay(target: string) {
  const count = { toApi: 0, toAgent: 0, connects: 0, disconnects: 0 };
  const relay = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  relay.on('connection', (client, request) => {
    count.connects += 1;
    const upstream = new WebSocket(target, { headers: { authorization: request.headers.authorization ?? '' } });
    const pending: string[] = [];
    upstream.on('open', () => pending.splice(0).forEach((message) => upstream.send(message)));
    upstream.on('message', (data) => {
      count.toAgent += 1;
      client.send(String(data));
    });
    upstream.on('close', () => client.close());
    // An agent that leaves before the API answered its upgrade: nothing to relay (not a crash of the bench).
    upstream.on('error', () => client.close());
    client.on('message', (data) => {
      count.toApi += 1;
      if (upstream.readyState === WebSocket.OPEN) upstream.send(String(data));
      else pending.push(String(data));
    });
    client.on('close', () => {
      count.disconnects += 1;
      upstream.close();
    });
  });
  await new Promise((resolve) => relay.once('listening', resolve));
  return { url: `ws://127.0.0.1:${(relay.address() as AddressInfo).port}`, count, close: () => relay.close() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The stack under measure: npm start's API on a counting DynamoDB, the agents' WebSocket through a counting relay, their HTTP calls counted. */
async function startRig(dynamoEndpoint: string, table: string) {
  const dynamo = await countingDynamo(dynamoEndpoint);
  const api = await startLocalApi({
    port: 0,
    stage: 'bench',
    stdio: 'ignore',
    detached: true,
    env: { ...process.env, ...testEnvironment(dynamo.endpoint), TABLE_NAME: table, LOG_LEVEL: 'SILENT', LAMBDA_PORT: String(await freePort()) },
  });
  const relay = await countingRelay(api.websocketUrl);
  // The agent's HTTP calls, counted (and its claims timed) where it makes them.
  const http = { requests: 0, claims: [] as number[] };
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const isAgentCall = url.startsWith(`${api.url}/agent/`);
    if (isAgentCall) http.requests += 1;
    const response = await realFetch(input, init);
    if (isAgentCall && url.endsWith('/agent/v1/claims') && response.status === 200) http.claims.push(performance.now());
    return response;
  };
  const close = async () => {
    globalThis.fetch = realFetch;
    relay.close();
    try {
      process.kill(-api.offline.pid!, 'SIGTERM');
    } catch {
      api.offline.kill('SIGTERM');
    }
    await api.close();
    dynamo.close();
  };
  const { hashPassword } = await import('../lib/protocol/secrets.js');
  const operator = { authorization: 'Bearer demo-operator-key' };
  const credentialOf = async () =>
    ((await (await realFetch(`${api.url}/operator/v1/tenants/acme/vms/vm-101/agent-credentials`, { method: 'POST', headers: operator })).json()) as { credential: string })
      .credential;
  const accounts = [{ userName: 'demo', passwordHash: await hashPassword('demo-guest-pass') }];
  const snapshot = () => ({ ...relay.count, http: http.requests, ...dynamo.count });
  return { api, relay, http, realFetch, close, credentialOf, accounts, snapshot };
}
type Rig = Awaited<ReturnType<typeof startRig>>;
type Counts = ReturnType<Rig['snapshot']>;

const GUEST = { credentials: { type: 'USERNAME_PASSWORD', user_name: 'demo', password: 'demo-guest-pass', interactive_session: false } };

/** An idle VM's agent on its WebSocket, IDLE_HOURS scaled hours: what it costs an hour. */
async function measureIdle({ snapshot }: Rig) {
  const before = snapshot();
  await sleep((IDLE_HOURS * 3_600_000) / SCALE);
  const after = snapshot();
  const perHour = (name: keyof Counts) => round((after[name] - before[name]) / IDLE_HOURS);
  const messages = perHour('toApi') + perHour('toAgent');
  const connects = perHour('connects');
  return {
    websocketMessages: messages,
    connects,
    httpRequests: perHour('http'),
    // API Gateway requests: messages, connections, HTTP calls. Lambda: every message to the API routes to one, a
    // $connect runs the authorizer and the connect function, a $disconnect one.
    requests: round(messages + connects + perHour('http')),
    lambdaInvocations: round(perHour('toApi') + 2 * connects + perHour('disconnects') + perHour('http')),
    dynamoOperations: perHour('operations'),
    readUnits: perHour('readUnits'),
    writeUnits: perHour('writeUnits'),
    connectionMinutes: 60,
  };
}

/** Create → claim for an idle connected agent, through the stack: the latencies. */
async function measureCreateToClaim({ api, http, realFetch }: Rig, sessionId: string) {
  const latencies: number[] = [];
  for (let index = 0; index < CREATES; index += 1) {
    const claimsBefore = http.claims.length;
    const t0 = performance.now();
    const response = await realFetch(`${api.url}/api/vcenter/vm/vm-101/guest/processes?action=create`, {
      method: 'POST',
      headers: { 'vmware-api-session-id': sessionId, 'content-type': 'application/json' },
      body: JSON.stringify({ ...GUEST, spec: { path: '/bin/true' } }),
    });
    if (response.status !== 200) throw new Error(`create: ${response.status} ${await response.text()}`);
    latencies.push(http.claims[claimsBefore]! - t0);
    await sleep(50);
  }
  return { creates: CREATES, p50Ms: round(median(latencies)), p99Ms: round(percentile(latencies, 99)) };
}

/** The API side's DynamoDB calls per create, the create handler run in this process (so they can be counted). */
async function measureCallsPerCreate({ api }: Rig, sessionId: string) {
  const { api: inProcess, session } = await import('../test/support/api.js');
  const { countRoundTrips, resetClient } = await import('../test/support/store-instrumentation.js');
  const saved = { endpoint: process.env.AGENT_CONNECTIONS_ENDPOINT };
  process.env.AGENT_CONNECTIONS_ENDPOINT = api.websocketUrl.replace(/^ws:/, 'http:');
  resetClient();
  const callsPerCreate: number[] = [];
  for (let index = 0; index < 10; index += 1) {
    const { result, roundTrips } = await countRoundTrips(() =>
      inProcess('POST', '/api/vcenter/vm/vm-101/guest/processes?action=create', { headers: session(sessionId), body: { ...GUEST, spec: { path: '/bin/true' } } }),
    );
    if (result.status !== 200) throw new Error(`create: ${result.status} ${result.text}`);
    callsPerCreate.push(roundTrips);
  }
  process.env.AGENT_CONNECTIONS_ENDPOINT = saved.endpoint;
  return { median: median(callsPerCreate), max: Math.max(...callsPerCreate), all: callsPerCreate };
}

/** The polling fallback with the agent's defaults, in real time: what it costs an hour. */
async function measurePolling({ api, credentialOf, accounts, snapshot }: Rig) {
  const { GuestAgent } = await import('../agent/agent.js');
  const poller = new GuestAgent({ apiUrl: api.url, credential: await credentialOf(), accounts, runAs: 'agent', transport: 'poll', log: () => undefined });
  await poller.start();
  await sleep(2000);
  const before = snapshot();
  await sleep(POLL_WINDOW_MS);
  const after = snapshot();
  await poller.stop();
  const perHour = (name: keyof Counts) => round(((after[name] - before[name]) * 3_600_000) / POLL_WINDOW_MS, 0);
  return {
    requests: perHour('http'),
    lambdaInvocations: perHour('http'),
    dynamoOperations: perHour('operations'),
    readUnits: perHour('readUnits'),
    writeUnits: perHour('writeUnits'),
  };
}

export async function measurePush(dynamoEndpoint: string, table: string) {
  const rig = await startRig(dynamoEndpoint, table);
  try {
    for (let attempt = 0; attempt < 240; attempt += 1) {
      if (await rig.realFetch(`${rig.api.url}/health`).then((response) => response.ok, () => false)) break;
      await sleep(500);
    }
    const { GuestAgent } = await import('../agent/agent.js');
    const logs: string[] = [];
    const agent = new GuestAgent({
      apiUrl: rig.api.url,
      credential: await rig.credentialOf(),
      accounts: rig.accounts,
      runAs: 'agent',
      websocketUrl: rig.relay.url,
      healthIntervalMs: (9 * 60_000) / SCALE,
      renewAfterMs: (110 * 60_000) / SCALE,
      log: (message) => logs.push(message),
    });
    await agent.start();
    while (!logs.includes('work is pushed over the WebSocket')) await sleep(20);
    await sleep(500);
    const idle = await measureIdle(rig);
    const { loginVcenter } = await import('../test/support/api.js');
    const sessionId = await loginVcenter();
    const createToClaim = await measureCreateToClaim(rig, sessionId);
    const dynamoCallsPerCreate = await measureCallsPerCreate(rig, sessionId);
    await agent.stop();
    const polling = await measurePolling(rig);
    return { scale: SCALE, idleHours: IDLE_HOURS, idle, polling, createToClaim, dynamoCallsPerCreate };
  } finally {
    await rig.close();
  }
}

type PushFigures = Awaited<ReturnType<typeof measurePush>>;

/** Monthly cost per VM (730 h) of an idle VM's traffic, by transport, from the measured figures. */
export function monthlyCostPerVm(figures: PushFigures, lambdaMs: number) {
  const p = PRICES;
  const lambda = (invocations: number) => invocations * (p.lambdaRequestPerMillion / 1e6 + (lambdaMs / 1000) * p.lambdaMemoryGb * p.lambdaArmGbSecond);
  const dynamo = (reads: number, writes: number) => (reads * p.dynamoReadUnitPerMillion + writes * p.dynamoWriteUnitPerMillion) / 1e6;
  const { idle, polling } = figures;
  const push =
    730 *
    ((idle.websocketMessages * p.websocketMessagePerMillion + idle.connectionMinutes * p.websocketConnectionMinutePerMillion + (idle.httpRequests + idle.connects) * p.httpRequestPerMillion) / 1e6 +
      lambda(idle.lambdaInvocations) +
      dynamo(idle.readUnits, idle.writeUnits));
  const poll = 730 * ((polling.requests * p.httpRequestPerMillion) / 1e6 + lambda(polling.lambdaInvocations) + dynamo(polling.readUnits, polling.writeUnits));
  return { push, poll };
}

export function pushMarkdown(figures: PushFigures, lambdaMs: number): string {
  const { idle, polling, createToClaim, dynamoCallsPerCreate } = figures;
  const cost = monthlyCostPerVm(figures, lambdaMs);
  const money = (value: number) =>
    value >= 100 ? `$${Math.round(value).toLocaleString('en-US')}` : value >= 1 ? `$${value.toFixed(2)}` : `$${value.toFixed(4)}`;
  return [
    `Measured by \`npm run bench\` on npm start's serverless-offline (its WebSocket API and /@connections API) and dynalite: an idle demo agent for ${figures.idleHours} hours at ${figures.scale}× speed (health every 9 min, renewal every 110 min, scaled alike), the polling fallback with its defaults for ${POLL_WINDOW_MS / 1000} s of real time, ${createToClaim.creates} creates one after another.`,
    '',
    '| per idle VM-hour | push (WebSocket) | polling fallback |',
    '|---|---:|---:|',
    `| API Gateway requests (WebSocket messages + connects + HTTP) | ${idle.requests} (target ≤ 10) | ${polling.requests} |`,
    `| Lambda invocations | ${idle.lambdaInvocations} | ${polling.lambdaInvocations} |`,
    `| DynamoDB calls | ${idle.dynamoOperations} | ${polling.dynamoOperations} |`,
    `| DynamoDB read / write request units | ${idle.readUnits} / ${idle.writeUnits} | ${polling.readUnits} / ${polling.writeUnits} |`,
    `| WebSocket connection minutes | ${idle.connectionMinutes} | – |`,
    '',
    `**Create → claim** for an idle agent (create sent → the agent's claim answered): p50 **${createToClaim.p50Ms} ms** (target ≤ 200), p99 ${createToClaim.p99Ms} ms. **DynamoDB calls per guest create** on the API side: median **${dynamoCallsPerCreate.median}**, at most ${dynamoCallsPerCreate.max} in 10 (target ≤ 7, 6 before the guest lockout reserved its check; was 14): session and VM, the guest state, the reserved check, the work item, then strongly consistent GetItems of the answer (40 ms, doubling).`,
    '',
    `**Monthly cost of idle VMs** (730 h; us-east-1 list prices: [API Gateway](https://aws.amazon.com/api-gateway/pricing/) WebSocket $1.00 per million messages and $0.25 per million connection minutes, HTTP API $1.00 per million requests; [Lambda](https://aws.amazon.com/lambda/pricing/) $0.20 per million requests and $0.0000133334 per GB-s on arm64, 256 MB × ${lambdaMs} ms per invocation; [DynamoDB on-demand](https://aws.amazon.com/dynamodb/pricing/on-demand/) $0.625 per million write and $0.125 per million read request units):`,
    '',
    '| VMs | push (WebSocket) per month | polling fallback per month |',
    '|---:|---:|---:|',
    ...[1_000, 10_000, 100_000, 1_000_000].map((vms) => `| ${vms.toLocaleString('en-US')} | ${money(vms * cost.push)} | ${money(vms * cost.poll)} |`),
    '',
    `Per VM: ${money(cost.push)} (push) and ${money(cost.poll)} (polling) a month. Free tiers are left out; a guest operation's own calls come on top of these idle figures.`,
  ].join('\n');
}
