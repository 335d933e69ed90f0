/**
 * The console proxy's data path next to its anchor, Debian's websockify (what nova-novncproxy is built on), on
 * the same VNC-like stream, in one run, on loopback: throughput each way, the latency a proxy adds to one
 * message, memory per open console, and how many active consoles one proxy process holds before a message's
 * latency doubles. The proxy measured is the shipped artefact (scripts/build.ts) run by plain Node.
 *
 * Both proxies forward to the same stand-in VM here. Ticket redemption is not on the data path: the proxy's
 * API is a minimal one that redeems the bench's own tickets once each (the real one is measured above).
 * Every loop is bounded by a count and a deadline. `tsx bench/proxy-vs-websockify.ts` runs this section alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { AUDIT_RECORDS_PATH, REDEMPTIONS_PATH } from '../lib/protocol/console-proxy.js';
import { issueSecret } from '../lib/protocol/secrets.js';
import { buildProxy } from '../scripts/build.js';
import { writeReadmeSection } from './readme.js';

const WEBSOCKIFY = '/usr/bin/websockify';
const ORIGIN = 'http://bench.console.test';
const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
/** Bytes each way per throughput round; rounds per proxy, interleaved. */
const THROUGHPUT_BYTES = 64 * MiB;
const ROUNDS = 5;
const ECHOES = 2000;
const IDLE_CONSOLES = 200;
/** Active consoles (a 1 KiB screen update every 100 ms each) at each step of the capacity ramp. */
const CAPACITY_STEPS = [25, 50, 100, 200, 400];
const PHASE_MS = 120_000;
/** The longest any one open, message or transfer may take before the bench gives up on it. */
const WAIT_MS = 60_000;

/** `promise`, or a clear failure after `ms`: no wait in this bench is unbounded. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
export const round = (value: number, digits = 2) => Number(value.toFixed(digits));
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

// ---- the stand-in VM: what it does on a connection is the first byte the console sends.
// 'D' + u32: sends that many bytes (64 KiB framebuffer updates) as fast as the path takes them.
// 'U' + u32: counts that many bytes coming in, then answers one byte.
// 'E': echoes everything. 'S': echoes, and sends a 1 KiB screen update every 100 ms.
export function startVm(): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const update = Buffer.alloc(CHUNK, 0x5a);
  const small = Buffer.alloc(1024, 0x33);
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write('RFB 003.008\n');
    let mode: string | undefined;
    let pending = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      if (mode === 'E' || mode === 'S') return void socket.write(data);
      if (mode === 'U') {
        pending = Buffer.alloc(0);
        counted += data.length;
        if (counted >= expected) socket.write('K');
        return;
      }
      pending = Buffer.concat([pending, data]);
      mode = String.fromCharCode(pending[0]!);
      if (mode === 'E' || mode === 'S') {
        if (mode === 'S') {
          const timer = setInterval(() => socket.write(small), 100);
          socket.on('close', () => clearInterval(timer));
        }
        if (pending.length > 1) socket.write(pending.subarray(1));
        return;
      }
      if (pending.length < 5) return void (mode = undefined);
      const total = pending.readUInt32BE(1);
      if (mode === 'U') {
        expected = total;
        counted = pending.length - 5;
        if (counted >= expected) socket.write('K');
        return;
      }
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += CHUNK;
          if (!socket.write(update)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    let expected = 0;
    let counted = 0;
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, server, sockets })));
}

// ---- the proxy's API for this bench: its own tickets, each redeemable once.
function startRedemptions(vmPort: number): Promise<{ url: string; ticket(): string; server: HttpServer }> {
  const tickets = new Set<string>();
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === AUDIT_RECORDS_PATH) return void response.writeHead(204).end();
      const { ticket } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { ticket?: string };
      if (request.url !== REDEMPTIONS_PATH || !ticket || !tickets.delete(ticket)) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({
        tenantId: 'bench', vmMoId: 'vm-1', instanceUuid: '00000000-0000-4000-8000-000000000001', consoleType: 'novnc',
        issuedTo: 'bench@bench', issuedAt: new Date().toISOString(), vnc: { host: '127.0.0.1', port: vmPort },
      }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        server,
        ticket: () => {
          const { value } = issueSecret('bench', 'bench-scope-0000');
          tickets.add(value);
          return value;
        },
      }),
    ),
  );
}

export const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

export async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true))).on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Resident memory of a process and every descendant (websockify forks one process per console), by PSS. */
function memoryOf(pid: number): number {
  const pss = (id: number) => {
    try {
      const rollup = readFileSync(`/proc/${id}/smaps_rollup`, 'utf8');
      return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  };
  const children = (id: number): number[] => {
    try {
      return readdirSync(`/proc/${id}/task`).flatMap((task) =>
        readFileSync(`/proc/${id}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
      );
    } catch {
      return [];
    }
  };
  const all = [pid];
  for (let index = 0; index < all.length; index += 1) all.push(...children(all[index]!));
  return all.reduce((sum, id) => sum + pss(id), 0);
}

export interface Proxy {
  name: string;
  process: ChildProcess;
  /** A console URL (a fresh ticket for ours). */
  url(): string;
}

/** One console: a WebSocket as noVNC opens it, every message queued, with the VM's ProtocolVersion read. */
export async function openConsole(proxy: Proxy, mode: string): Promise<{ ws: WebSocket; next(bytes: number): Promise<void> }> {
  const ws = new WebSocket(proxy.url(), ['binary'], { origin: ORIGIN, perMessageDeflate: false });
  ws.binaryType = 'nodebuffer';
  let have = 0;
  let want = 0;
  let waiter: { resolve(): void; reject(error: Error): void } | undefined;
  ws.on('message', (data: Buffer) => {
    have += data.length;
    if (waiter && have >= want) waiter.resolve();
  });
  ws.on('error', () => undefined);
  ws.on('close', () => waiter?.reject(new Error(`${proxy.name}: console closed`)));
  await within(once(ws, 'open'), WAIT_MS, `${proxy.name}: console open`);
  const next = (bytes: number) => {
    want += bytes;
    if (have >= want) return Promise.resolve();
    return within(new Promise<void>((resolve, reject) => {
      waiter = { resolve: () => ((waiter = undefined), resolve()), reject };
    }), WAIT_MS, `${proxy.name}: ${bytes} bytes`);
  };
  await next(12);
  ws.send(Buffer.from(mode));
  return { ws, next };
}

export async function downstream(proxy: Proxy): Promise<number> {
  const console_ = await openConsole(proxy, 'D');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(THROUGHPUT_BYTES);
  const started = performance.now();
  console_.ws.send(header);
  await console_.next(THROUGHPUT_BYTES);
  const seconds = (performance.now() - started) / 1000;
  console_.ws.close();
  return THROUGHPUT_BYTES / MiB / seconds;
}

async function upstream(proxy: Proxy): Promise<number> {
  const console_ = await openConsole(proxy, 'U');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(THROUGHPUT_BYTES);
  const chunk = Buffer.alloc(CHUNK, 0x41);
  const started = performance.now();
  console_.ws.send(header);
  for (let sent = 0; sent < THROUGHPUT_BYTES; sent += CHUNK) {
    console_.ws.send(chunk);
    while (console_.ws.bufferedAmount > 4 * MiB) await new Promise((resolve) => setImmediate(resolve));
  }
  await console_.next(1);
  const seconds = (performance.now() - started) / 1000;
  console_.ws.close();
  return THROUGHPUT_BYTES / MiB / seconds;
}

/** Round trips of a 16-byte message (a key event's size) through an echoing VM, in ms, sorted. */
async function echoes(send: (data: Buffer) => void, next: (bytes: number) => Promise<void>, count: number): Promise<number[]> {
  const message = Buffer.alloc(16, 0x4b);
  const times: number[] = [];
  const deadline = performance.now() + PHASE_MS;
  for (let index = 0; index < count && performance.now() < deadline; index += 1) {
    const t0 = performance.now();
    send(message);
    await next(message.length);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

export async function proxiedEchoes(proxy: Proxy, count = ECHOES): Promise<number[]> {
  const console_ = await openConsole(proxy, 'E');
  const times = await echoes((data) => console_.ws.send(data), console_.next, count);
  console_.ws.close();
  return times;
}

/** The same round trips straight to the VM over TCP: what no proxy at all costs. */
export async function directEchoes(vmPort: number): Promise<number[]> {
  const socket = connect({ port: vmPort, host: '127.0.0.1', noDelay: true });
  let have = 0;
  let want = 0;
  let wake: (() => void) | undefined;
  socket.on('data', (data) => {
    have += data.length;
    if (wake && have >= want) wake();
  });
  const next = (bytes: number) => {
    want += bytes;
    return have >= want ? Promise.resolve() : new Promise<void>((resolve) => (wake = () => ((wake = undefined), resolve())));
  };
  await once(socket, 'connect');
  await next(12);
  socket.write('E');
  const times = await echoes((data) => socket.write(data), next, ECHOES);
  socket.destroy();
  return times;
}

async function openMany(proxy: Proxy, count: number, mode: string) {
  const opened: Awaited<ReturnType<typeof openConsole>>[] = [];
  const deadline = performance.now() + PHASE_MS;
  while (opened.length < count && performance.now() < deadline) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(25, count - opened.length) }, () => openConsole(proxy, mode)));
    for (const result of batch) if (result.status === 'fulfilled') opened.push(result.value);
    const failed = batch.find((result) => result.status === 'rejected');
    if (failed) {
      await closeAll(opened);
      throw new Error(`${proxy.name}: ${opened.length} consoles open, the next failed (${(failed as PromiseRejectedResult).reason.message})`);
    }
  }
  // Bridged: each console's first echo has come back.
  await Promise.all(opened.map((console_) => (console_.ws.send(Buffer.from('p')), console_.next(1))));
  return opened;
}

async function closeAll(consoles: { ws: WebSocket }[]): Promise<void> {
  // websockify answers a close with status 1005, which ws reports as an error before 'close': wait for 'close' only.
  await Promise.all(consoles.map(({ ws }) =>
    ws.readyState === WebSocket.CLOSED ? undefined : new Promise((resolve) => (ws.on('close', resolve), ws.close()))));
}

async function memoryPerConsole(proxy: Proxy): Promise<number | string> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = memoryOf(proxy.process.pid!);
  let consoles: Awaited<ReturnType<typeof openMany>>;
  try {
    consoles = await openMany(proxy, IDLE_CONSOLES, 'E');
  } catch (error) {
    return `not measured: ${(error as Error).message}`;
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = memoryOf(proxy.process.pid!);
  await closeAll(consoles);
  return (after - before) / consoles.length;
}

/** Active consoles added step by step until a probe message's p50 round trip is twice what it is alone. */
/** A probe console's p50 round trip: the median of three short runs, so that one noisy spell does not decide. */
async function probeP50(proxy: Proxy): Promise<number> {
  const runs: number[] = [];
  for (let run = 0; run < 3; run += 1) runs.push(percentile(await proxiedEchoes(proxy, 200), 50));
  return median(runs);
}

async function capacity(proxy: Proxy, alone: number): Promise<{ aloneP50Ms: number; steps: { consoles: number; p50Ms: number }[]; holdsBeforeDoubling: string }> {
  const steps: { consoles: number; p50Ms: number }[] = [];
  const active: Awaited<ReturnType<typeof openConsole>>[] = [];
  let holds = `≥ ${CAPACITY_STEPS.at(-1)}`;
  try {
    for (const target of CAPACITY_STEPS) {
      let p50: number;
      try {
        active.push(...(await openMany(proxy, target - active.length, 'S')));
        p50 = await probeP50(proxy);
      } catch (error) {
        holds = `${steps.at(-1)?.consoles ?? 0} (then: ${(error as Error).message})`;
        break;
      }
      steps.push({ consoles: active.length, p50Ms: round(p50, 3) });
      if (p50 > 2 * alone) {
        holds = `${steps.at(-2)?.consoles ?? 0}–${active.length}`;
        break;
      }
    }
  } finally {
    await closeAll(active);
  }
  return { aloneP50Ms: round(alone, 3), steps, holdsBeforeDoubling: holds };
}

export interface ProxyBenchFigures {
  measuredAt: string;
  websockify: string;
  throughputBytesPerRound: number;
  [proxy: string]: unknown;
}

export async function measureProxyVsWebsockify(): Promise<ProxyBenchFigures | undefined> {
  if (!existsSync(WEBSOCKIFY)) {
    console.warn(`proxy vs websockify skipped: ${WEBSOCKIFY} is not installed (apt-get install websockify)`);
    return undefined;
  }
  const work = mkdtempSync(join(tmpdir(), 'bench-proxy-'));
  const vm = await startVm();
  const redemptions = await startRedemptions(vm.port);
  const children: ChildProcess[] = [];
  try {
    const { outDir } = await buildProxy(join(work, 'proxy'));
    const oursPort = await freePort();
    const ours = spawn(process.execPath, ['main.mjs'], {
      cwd: outDir,
      stdio: 'ignore',
      env: {
        PATH: process.env.PATH, LOG_LEVEL: 'ERROR', CONSOLE_PROXY_KEY: 'bench-key', CONSOLE_BROKER_API_URL: redemptions.url,
        CONSOLE_PROXY_PORT: String(oursPort), CONSOLE_PROXY_ALLOWED_ORIGINS: ORIGIN,
        CONSOLE_PROXY_MAX_SESSIONS: '5000', CONSOLE_PROXY_MAX_SESSIONS_PER_TENANT: '5000',
      },
    });
    const theirsPort = await freePort();
    const theirs = spawn(WEBSOCKIFY, [`127.0.0.1:${theirsPort}`, `127.0.0.1:${vm.port}`], { stdio: 'ignore' });
    children.push(ours, theirs);
    await Promise.all([waitForPort(oursPort), waitForPort(theirsPort)]);
    const proxies: Proxy[] = [
      { name: 'console proxy', process: ours, url: () => `ws://127.0.0.1:${oursPort}/?token=${encodeURIComponent(redemptions.ticket())}` },
      { name: 'websockify', process: theirs, url: () => `ws://127.0.0.1:${theirsPort}/` },
    ];

    const loadAtStart = round(loadavg()[0]!, 1);
    const down: Record<string, number[]> = {};
    const up: Record<string, number[]> = {};
    const latency: Record<string, number[][]> = {};
    const direct: number[][] = [];
    for (let pass = 0; pass < ROUNDS; pass += 1) {
      direct.push(await directEchoes(vm.port));
      for (const proxy of proxies) {
        console.error(`proxy bench: round ${pass + 1}/${ROUNDS}, ${proxy.name}`);
        (down[proxy.name] ??= []).push(await downstream(proxy));
        (up[proxy.name] ??= []).push(await upstream(proxy));
        (latency[proxy.name] ??= []).push(await proxiedEchoes(proxy));
      }
    }
    const directP50 = median(direct.map((times) => percentile(times, 50)));
    const directP99 = median(direct.map((times) => percentile(times, 99)));
    const figures: ProxyBenchFigures = {
      measuredAt: new Date().toISOString(),
      loadAverage: { atStart: loadAtStart, atEnd: round(loadavg()[0]!, 1), cores: cpus().length },
      websockify: 'Debian websockify 0.10 (python3), forking a process per console',
      throughputBytesPerRound: THROUGHPUT_BYTES,
      direct: { p50Ms: round(directP50, 3), p99Ms: round(directP99, 3) },
    };
    for (const proxy of proxies) {
      console.error(`proxy bench: memory and capacity, ${proxy.name}`);
      const p50 = median(latency[proxy.name]!.map((times) => percentile(times, 50)));
      const p99 = median(latency[proxy.name]!.map((times) => percentile(times, 99)));
      figures[proxy.name] = {
        toBrowserMiBps: round(median(down[proxy.name]!), 1),
        toVmMiBps: round(median(up[proxy.name]!), 1),
        roundTripP50Ms: round(p50, 3),
        roundTripP99Ms: round(p99, 3),
        addedP50Ms: round(p50 - directP50, 3),
        addedP99Ms: round(p99 - directP99, 3),
        memoryPerConsoleKiB: await memoryPerConsole(proxy).then((bytes) => (typeof bytes === 'number' ? round(bytes / 1024, 1) : bytes)),
        // "Alone" is the p50 of the latency rounds above (one console open).
        capacity: await capacity(proxy, p50),
      };
    }
    return figures;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined)));
    for (const socket of vm.sockets) socket.destroy();
    vm.server.close();
    redemptions.server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

export function proxyBenchMarkdown(figures: ProxyBenchFigures): string {
  type Row = { toBrowserMiBps: number; toVmMiBps: number; roundTripP50Ms: number; roundTripP99Ms: number; addedP50Ms: number; addedP99Ms: number;
    memoryPerConsoleKiB: number | string; capacity: { aloneP50Ms: number; holdsBeforeDoubling: string; steps: { consoles: number; p50Ms: number }[] } };
  const ours = figures['console proxy'] as Row;
  const theirs = figures.websockify as unknown as Row;
  const line = (what: string, a: string | number, b: string | number) => `| ${what} | ${a} | ${b} |`;
  const ramp = (row: Row) => row.capacity.steps.map((step) => `${step.consoles}: ${step.p50Ms}`).join(', ');
  return [
    `Measured ${figures.measuredAt.slice(0, 10)} by \`npm run bench\` (bench/proxy-vs-websockify.ts), loopback, one machine; ${figures.throughputBytesPerRound / MiB} MiB each way per round, median of ${ROUNDS} interleaved rounds.`,
    '',
    '| | console proxy (dist/proxy, Node) | websockify (Debian) |',
    '|---|---|---|',
    line('throughput VM → browser (MiB/s)', ours.toBrowserMiBps, theirs.toBrowserMiBps),
    line('throughput browser → VM (MiB/s)', ours.toVmMiBps, theirs.toVmMiBps),
    line('round trip of a 16-byte message p50 / p99 (ms)', `${ours.roundTripP50Ms} / ${ours.roundTripP99Ms}`, `${theirs.roundTripP50Ms} / ${theirs.roundTripP99Ms}`),
    line('added to a direct TCP round trip p50 / p99 (ms)', `${ours.addedP50Ms} / ${ours.addedP99Ms}`, `${theirs.addedP50Ms} / ${theirs.addedP99Ms}`),
    line(`memory per open console (KiB, ${IDLE_CONSOLES} idle consoles, PSS)`, ours.memoryPerConsoleKiB, theirs.memoryPerConsoleKiB),
    line('active consoles held before a message\'s p50 doubles', ours.capacity.holdsBeforeDoubling, theirs.capacity.holdsBeforeDoubling),
    line('p50 (ms) alone; then by active consoles', `${ours.capacity.aloneP50Ms}; ${ramp(ours)}`, `${theirs.capacity.aloneP50Ms}; ${ramp(theirs)}`),
    '',
    `Machine: ${(figures.loadAverage as { cores: number }).cores} cores shared with other work, load average ${(figures.loadAverage as { atStart: number }).atStart} at the start and ${(figures.loadAverage as { atEnd: number }).atEnd} at the end: p99s and the capacity ramp move with it from run to run; throughput and p50 are steadier.`,
    '',
    `Direct TCP round trip (no proxy): p50 ${(figures.direct as { p50Ms: number }).p50Ms} ms, p99 ${(figures.direct as { p99Ms: number }).p99Ms} ms. An active console receives a 1 KiB screen update every 100 ms and echoes what it is sent.`,
  ].join('\n');
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** Measures, prints, and writes the figures into docs/proxy.md (between the proxy-bench markers) and bench/proxy-results.json. */
export async function runProxyBench(): Promise<ProxyBenchFigures | undefined> {
  const figures = await measureProxyVsWebsockify();
  if (!figures) return undefined;
  const markdown = proxyBenchMarkdown(figures);
  console.log(`\n## Console proxy vs websockify\n\n${markdown}\n`);
  writeReadmeSection(join(root, 'docs/proxy.md'), 'proxy-bench', markdown);
  writeFileSync(join(root, 'bench/proxy-results.json'), `${JSON.stringify(figures, null, 2)}\n`);
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runProxyBench();
