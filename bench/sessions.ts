/**
 * `npm run bench:sessions`: what the registry of open consoles costs, and how fast an order to end a console
 * reaches its browser. On serverless-offline (its HTTP API, its WebSocket API and /@connections API) against
 * dynalite behind a counting relay, with a console proxy in this process holding its order channel, and
 * real WebSocket clients. Figures go to docs/sessions.md (between its `bench:sessions` markers).
 *
 * Time is scaled for the cost figures: proxies report every 60 s by default (CONSOLE_HEARTBEAT_SECONDS); here
 * every second, so one second of the run stands for a minute, and the counts of a scaled hour are those of a
 * real one (nothing else happens to an open console).
 */
import type { Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { ensureTable, freePort, startLocalDynamo } from '../scripts/local-dynamodb.js';
import { startLocalApi } from '../scripts/local-api.js';
import { testEnvironment } from '../test/support/environment.js';
import { dynamoRelay } from './dynamo-relay.js';
import { writeReadmeSection } from './readme.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// The table serverless.yml names for the stage (`${service}-${stage}`): its functions use that one.
const TABLE = 'console-broker-bench';
const CONSOLES = 10;
/** Scaled minutes of the cost window (one heartbeat each). */
const WINDOW_MINUTES = 30;
const DROPS = 20;
const DEFAULT_HEARTBEAT_SECONDS = 60;
const RFB_HELLO = 'RFB 003.008\n';

const progress = (message: string) => console.error(`bench:sessions: ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? 0;

interface Count {
  operations: number;
  readUnits: number;
  writeUnits: number;
  /** Write units the registry's two index entries (gsi1: user, gsi2: tenant) add to each registry write. */
  indexWriteUnits: number;
}

/** DynamoDB in front of dynalite, counting calls and request units (items here are < 1 KB, reads < 4 KB). */
async function countingDynamo(target: string): Promise<{ endpoint: string; count: Count; server: Server }> {
  const count: Count = { operations: 0, readUnits: 0, writeUnits: 0, indexWriteUnits: 0 };
  const { endpoint, server } = await dynamoRelay(target, (action, body) => {
    const text = body.toString('utf8');
    count.operations += 1;
    if (['GetItem', 'Query'].includes(action)) count.readUnits += 1;
    else if (action === 'BatchGetItem') count.readUnits += (text.match(/"pk"/g) ?? []).length;
    else if (['PutItem', 'UpdateItem', 'DeleteItem'].includes(action)) {
      count.writeUnits += 1;
      if (text.includes('"OPEN#')) count.indexWriteUnits += 2;
    } else if (action === 'BatchWriteItem') {
      const items = (text.match(/"(PutRequest|DeleteRequest)"/g) ?? []).length;
      count.writeUnits += items;
      count.indexWriteUnits += 2 * (text.match(/"OPEN#[^"]*"/g) ?? []).length;
    }
  });
  return { endpoint, count, server };
}

export async function measureSessions() {
  const dynamo = await startLocalDynamo({ separateProcess: true });
  const counting = await countingDynamo(dynamo.endpoint);
  Object.assign(process.env, testEnvironment(counting.endpoint), { TABLE_NAME: TABLE, LOG_LEVEL: 'SILENT' });
  await ensureTable(dynamo.endpoint, TABLE);
  const { seedDemoData } = await import('../scripts/demo-data.js');
  await seedDemoData();
  const api = await startLocalApi({
    port: 0,
    stage: 'bench',
    stdio: process.env.BENCH_VERBOSE ? 'inherit' : 'ignore',
    detached: true,
    env: { ...process.env, CONSOLE_HEARTBEAT_SECONDS: '1', LAMBDA_PORT: String(await freePort()) },
  });
  const vncSockets = new Set<Socket>();
  const vnc = createTcpServer((socket) => {
    vncSockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => vncSockets.delete(socket));
    socket.write(RFB_HELLO);
  });
  await new Promise<void>((resolve) => vnc.listen(0, '127.0.0.1', resolve));
  const vncPort = (vnc.address() as AddressInfo).port;

  // The proxy's calls to the API, counted where it makes them.
  const proxyCalls = { requests: 0 };
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    if (String(input instanceof Request ? input.url : input).includes('/console-proxy/v1/')) proxyCalls.requests += 1;
    return realFetch(input, init);
  };
  const { startConsoleProxy } = await import('../proxy/server.js');
  const { proxyConfig, CONSOLE_PAGE_ORIGIN } = await import('../test/support/console-fixtures.js');
  const clients: WebSocket[] = [];
  let proxy: Awaited<ReturnType<typeof startConsoleProxy>> | undefined;
  try {
    for (let attempt = 0; attempt < 480 && !(await realFetch(`${api.url}/health`).then((r) => r.ok, () => false)); attempt += 1) await sleep(500);
    proxy = await startConsoleProxy(proxyConfig(api.url, { ordersUrl: api.websocketUrl, instanceId: 'bench-proxy', maxSessions: 100, maxSessionsPerTenant: 100 }));
    progress('API up');
    await proxy.ordersReady();
    progress('order channel open');
    const operator = { authorization: 'Bearer demo-operator-key', 'content-type': 'application/json' };
    await realFetch(`${api.url}/operator/v1/tenants/acme/vms/vm-bench`, {
      method: 'PUT',
      headers: operator,
      body: JSON.stringify({
        instanceUuid: '5a1b7c2d-3e4f-4a5b-8c6d-00000000be1c',
        name: 'vm-bench',
        powerState: 'poweredOn',
        guestOsFamily: 'linux',
        host: { address: 'esx-01.test', sslThumbprintSha1: Array(20).fill('AB').join(':'), sslThumbprintSha256: Array(32).fill('CD').join(':') },
        vnc: { host: '127.0.0.1', port: vncPort },
        vmxPath: '[datastore1] vm-bench/vm-bench.vmx',
      }),
    });
    const login = await realFetch(`${api.url}/sdk/vim25/8.0.3.0/SessionManager/SessionManager/Login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userName: 'admin@acme', password: 'acme-admin-pass' }),
    });
    const vimSession = { 'vmware-api-session-id': login.headers.get('vmware-api-session-id')!, 'content-type': 'application/json' };
    const vim = async (method: string, body?: unknown) =>
      (await realFetch(`${api.url}/sdk/vim25/8.0.3.0/VirtualMachine/vm-bench/${method}`, { method: 'POST', headers: vimSession, body: JSON.stringify(body ?? {}) })).json();

    /** Opens a console: ticket, WebSocket, bridged. */
    const open = async () => {
      const acquired = (await vim('AcquireTicket', { ticketType: 'webmks' })) as { ticket?: string };
      if (!acquired.ticket) throw new Error(`AcquireTicket answered ${JSON.stringify(acquired)}`);
      const { ticket } = acquired;
      const ws = new WebSocket(`${proxy!.url.replace('http', 'ws')}/ticket/${encodeURIComponent(ticket)}`, { origin: CONSOLE_PAGE_ORIGIN });
      clients.push(ws);
      let received = '';
      ws.on('message', (data: Buffer) => (received += data.toString('latin1')));
      ws.on('error', () => undefined);
      let isClosed = false;
      const closed = new Promise<number>((resolve) =>
        ws.on('close', (code, reason) => {
          isClosed = true;
          if (!received) progress(`console closed before it was bridged: ${code} ${reason.toString()}`);
          resolve(performance.now());
        }),
      );
      while (!received.startsWith(RFB_HELLO)) {
        if (isClosed) throw new Error('the console closed before it was bridged');
        await sleep(5);
      }
      return { ws, closed };
    };
    const snapshot = () => ({ ...counting.count, requests: proxyCalls.requests });
    const delta = (before: ReturnType<typeof snapshot>, after: ReturnType<typeof snapshot>) =>
      Object.fromEntries(Object.entries(after).map(([name, value]) => [name, value - before[name as keyof typeof before]])) as ReturnType<typeof snapshot>;

    // ---- opening and closing one console (ticket, redemption, end report), the fixed cost of a session
    const beforeOpen = snapshot();
    const first = await open();
    const opening = delta(beforeOpen, snapshot());
    const beforeClose = snapshot();
    first.ws.close();
    await first.closed;
    // The end report is sent once the bridge has ended; wait for the registry to be empty again.
    while (((await vim('QueryConnections')) as unknown[]).length > 0) await sleep(20);
    const closing = delta(beforeClose, snapshot());

    progress('one console opened and closed');
    // ---- CONSOLES open consoles for WINDOW_MINUTES scaled minutes: heartbeats only
    const held = [];
    for (let index = 0; index < CONSOLES; index += 1) held.push(await open());
    await sleep(1500);
    const beforeWindow = snapshot();
    await sleep(WINDOW_MINUTES * 1000);
    const window = delta(beforeWindow, snapshot());
    // Per console-hour at the default heartbeat: the scaled window is WINDOW_MINUTES minutes of CONSOLES consoles.
    const perConsoleHour = (value: number) => round((value * (60 / WINDOW_MINUTES)) / CONSOLES);
    const perProxyHour = (value: number) => round(value * (60 / WINDOW_MINUTES));
    for (const { ws } of held) ws.close();

    progress('cost window done');
    // ---- DropConnections → the browser's close, one console at a time
    const latencies: number[] = [];
    for (let index = 0; index < DROPS; index += 1) {
      while (((await vim('QueryConnections')) as unknown[]).length > 0) await sleep(20);
      const console = await open();
      const [connection] = (await vim('QueryConnections')) as { label: string }[];
      const t0 = performance.now();
      const dropped = await vim('DropConnections', { listOfConnections: [{ _typeName: 'VirtualMachineMksConnection', label: connection!.label, client: '', userName: 'admin@acme' }] });
      if (dropped !== true) throw new Error(`DropConnections answered ${JSON.stringify(dropped)}`);
      latencies.push((await console.closed) - t0);
    }
    return {
      consoles: CONSOLES,
      windowMinutes: WINDOW_MINUTES,
      opening,
      closing,
      perConsoleHour: {
        dynamoOperations: perConsoleHour(window.operations),
        readUnits: perConsoleHour(window.readUnits),
        writeUnits: perConsoleHour(window.writeUnits),
        indexWriteUnits: perConsoleHour(window.indexWriteUnits),
      },
      perProxyHour: { requests: perProxyHour(window.requests) },
      dropToClose: { drops: DROPS, p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), maxMs: round(Math.max(...latencies)) },
    };
  } finally {
    globalThis.fetch = realFetch;
    for (const ws of clients) ws.terminate();
    await proxy?.close();
    for (const socket of vncSockets) socket.destroy();
    vnc.close();
    try {
      process.kill(-api.offline.pid!, 'SIGTERM');
    } catch {
      api.offline.kill('SIGTERM');
    }
    await api.close();
    counting.server.close();
    await dynamo.close();
  }
}

type SessionFigures = Awaited<ReturnType<typeof measureSessions>>;

export function sessionsMarkdown(figures: SessionFigures): string {
  const { opening, closing, perConsoleHour: hour, perProxyHour, dropToClose } = figures;
  return [
    `Measured by \`npm run bench:sessions\` on ${new Date().toISOString().slice(0, 10)}: serverless-offline (HTTP and WebSocket APIs) and dynalite, one console proxy, ${figures.consoles} consoles open for ${figures.windowMinutes} scaled minutes (heartbeat every second standing for the default ${DEFAULT_HEARTBEAT_SECONDS} s), then ${dropToClose.drops} DropConnections one after another.`,
    '',
    '| | DynamoDB calls | read units | write units (table) | write units (indexes) | proxy → API requests |',
    '|---|---:|---:|---:|---:|---:|',
    `| open one console (ticket incl. limit check, redemption) | ${opening.operations} | ${opening.readUnits} | ${opening.writeUnits} | ${opening.indexWriteUnits} | ${opening.requests} |`,
    `| close it (end report: audit record PutItem, registry DeleteItem; the rest are the bench's own QueryConnections polls) | ${closing.operations} | ${closing.readUnits} | ${closing.writeUnits} | ${closing.indexWriteUnits} | ${closing.requests} |`,
    `| **per open console-hour** (heartbeats) | ${hour.dynamoOperations} | ${hour.readUnits} | ${hour.writeUnits} | ${hour.indexWriteUnits} | ${round(perProxyHour.requests / figures.consoles)} |`,
    '',
    `A proxy sends one heartbeat request per interval for all its consoles (${perProxyHour.requests} requests per proxy-hour here, whatever the number of consoles); each console costs one conditional UpdateItem per interval, which also rewrites its two index entries (user, tenant). At DynamoDB on-demand list prices ($0.625 per million write units, us-east-1) an open console-hour costs about $${(((hour.writeUnits + hour.indexWriteUnits) * 0.625) / 1e6).toFixed(6)} in registry writes.`,
    '',
    `**DropConnections → the browser's close** (request sent → the client's WebSocket closed; the order pushed over the WebSocket API): p50 **${dropToClose.p50Ms} ms**, p99 ${dropToClose.p99Ms} ms, max ${dropToClose.maxMs} ms over ${dropToClose.drops} (bound: 5 s).`,
  ].join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  measureSessions().then(
    (figures) => {
      const markdown = sessionsMarkdown(figures);
      console.log(`\n${markdown}\n\n${JSON.stringify(figures)}`);
      writeReadmeSection(join(root, 'docs/sessions.md'), 'bench:sessions', markdown);
      process.exit(0);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
