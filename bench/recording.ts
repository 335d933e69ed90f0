/**
 * What recording costs the console proxy (issue 27), in one run on one machine: throughput VM → browser and the
 * latency added to a 16-byte message with recording on and off, on the same proxy process (the shipped
 * artefact, run by plain Node), interleaved round by round, the median of ROUNDS; the bytes a typical screen
 * records per console-hour (the demo's screen, its clock ticking, a line typed every few seconds); and what an
 * hour of recording costs in S3 at list prices, per retention class.
 *
 * Storage is the local S3 (s3rver) in a process of its own, as S3 is a remote service: its CPU is not the
 * proxy's. Beside it, the same rounds run against a second proxy process whose storage is a null sink (an HTTP
 * server of its own that answers every PUT and discards the body, bench/null-storage.ts): storage's cost
 * excluded, what the proxy itself pays. The proxy's API is a stand-in that redeems the bench's own tickets, each with or without a
 * recording grant (mandatory: nothing reaches the browser unrecorded), and keeps the end reports.
 * `tsx bench/recording.ts` runs this section alone; `npm run bench` runs it after the proxy bench.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { AUDIT_RECORDS_PATH, REDEMPTIONS_PATH, type ConsoleSessionReport } from '../lib/protocol/console-proxy.js';
import { CHUNK_BYTES, CHUNK_MILLISECONDS, recordingKeyPrefix } from '../lib/protocol/recording.js';
import { issueSecret } from '../lib/protocol/secrets.js';
import { buildProxy } from '../scripts/build.js';
import { demoScreens } from '../scripts/demo-data.js';
import { startRfbServer } from '../scripts/demo-screen/rfb.js';
import { DemoScreen } from '../scripts/demo-screen/screen.js';
import { LOCAL_RECORDING_BUCKET, LOCAL_S3_CREDENTIALS } from '../scripts/local-s3.js';
import { s3RecordingStorage } from '../proxy/recording/storage.js';
import {
  directEchoes, downstream, freePort, median, openConsole, percentile, proxiedEchoes, round, startVm, waitForPort, within, type Proxy,
} from './proxy-vs-websockify.js';
import { startNullStorage } from './null-storage.js';
import { writeReadmeSection } from './readme.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const ORIGIN = 'http://bench.console.test';
const ROUNDS = 5;
const MiB = 1024 * 1024;
/** A burst a recording's queue (8 MiB by default) takes whole: a full-screen redraw of a large screen in Raw. */
const BURST_BYTES = 4 * MiB;
const BURSTS_PER_ROUND = 6;
/** How long the typical screen is recorded; the hour is this, scaled. */
const TYPICAL_SECONDS = 60;
const WAIT_MS = 60_000;

/** S3 Standard and KMS list prices, us-east-1, as of 2026-12 (aws.amazon.com/s3/pricing, /kms/pricing). */
export const PRICES = {
  region: 'us-east-1',
  storagePerGbMonth: 0.023,
  putPerThousand: 0.005,
  kmsPerTenThousand: 0.03,
};
const RETENTION_CLASSES = [30, 90, 365];
const DAYS_PER_MONTH = 365.25 / 12;

/** CPU time (user + system, ms) a process has used so far (/proc, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The local S3 in a process of its own (scripts/local-s3.ts); it prints its port when it listens. */
async function startS3Process(directory: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
    `import { startLocalS3 } from ${JSON.stringify(pathToFileURL(join(root, 'scripts/local-s3.ts')).href)};
     const s3 = await startLocalS3({ directory: ${JSON.stringify(directory)} });
     console.log(s3.port);
     process.on('SIGTERM', () => s3.close().then(() => process.exit(0)));`], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await within(once(child.stdout!, 'data'), WAIT_MS, 'the local S3 up');
  return { child, endpoint: `http://127.0.0.1:${Number(String(line).trim())}` };
}

/** What the local S3 alone takes, one 1 MiB PUT at a time (as a recording stores), from this process: the ceiling of a sustained recording here. */
async function storageAlone(endpoint: string): Promise<number> {
  const storage = s3RecordingStorage({ bucket: LOCAL_RECORDING_BUCKET, endpoint, credentials: LOCAL_S3_CREDENTIALS });
  const body = Buffer.alloc(CHUNK_BYTES, 0x5a);
  const started = performance.now();
  for (let index = 0; index < 32; index += 1) await storage.put(`recordings/bench/storage-alone/${index}`, body, 30);
  return (32 * CHUNK_BYTES) / MiB / ((performance.now() - started) / 1000);
}

/** One burst of `bytes` from the VM to the browser through a fresh console, in MiB/s. */
async function burst(mode: Proxy, bytes: number): Promise<number> {
  const console_ = await openConsole(mode, 'D');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(bytes);
  const started = performance.now();
  console_.ws.send(header);
  await console_.next(bytes);
  const seconds = (performance.now() - started) / 1000;
  console_.ws.close();
  return bytes / MiB / seconds;
}

/** Waits (bounded) until the proxy holds no recording bytes: its last console's chunks are in S3. */
async function recordingsStored(metricsUrl: string): Promise<void> {
  await within((async () => {
    for (;;) {
      const text = await (await fetch(metricsUrl)).text();
      if (/^console_proxy_recording_bytes_queued 0$/m.test(text) && /^console_proxy_recordings_open 0$/m.test(text)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })(), WAIT_MS, 'the recordings stored');
}

/** The proxy's API for this bench: tickets for a VNC port, recorded or not, redeemable once; the end reports. */
function startStandInApi(): Promise<{ url: string; server: HttpServer; ticket(port: number, input: boolean | undefined): { ticket: string; sessionId: string }; reports: ConsoleSessionReport[] }> {
  const targets = new Map<string, unknown>();
  const reports: ConsoleSessionReport[] = [];
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      if (request.url === AUDIT_RECORDS_PATH) {
        reports.push(body as ConsoleSessionReport);
        return void response.writeHead(204).end();
      }
      const target = request.url === REDEMPTIONS_PATH ? targets.get(body.ticket) : undefined;
      if (!target) return void response.writeHead(404).end();
      targets.delete(body.ticket);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(target));
    });
  });
  const ticket = (port: number, input: boolean | undefined) => {
    const recordingId = randomUUID();
    const sessionId = randomUUID();
    const { value } = issueSecret('bench', 'bench-scope-0000');
    targets.set(value, {
      tenantId: 'bench', vmMoId: 'vm-1', instanceUuid: '00000000-0000-4000-8000-000000000001', consoleType: 'novnc',
      issuedTo: 'bench@bench', issuedAt: new Date().toISOString(), vnc: { host: '127.0.0.1', port },
      session: { sessionId, idleTimeoutSeconds: 900, maxDurationSeconds: 3600, heartbeatSeconds: 300 },
      ...(input === undefined ? {} : { recording: { recordingId, keyPrefix: recordingKeyPrefix('bench', 'vm-1', recordingId), input, mandatory: true, retentionDays: 30 } }),
    });
    return { ticket: value, sessionId };
  };
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, ticket, reports })),
  );
}

/**
 * A typical console for TYPICAL_SECONDS: the demo's screen (its clock redraws every second) asked for updates
 * as noVNC does, and a line typed every 10 s at 8 keys a second; the recording's bytes and chunks, from its end report.
 */
async function typicalScreen(proxyUrl: string, api: Awaited<ReturnType<typeof startStandInApi>>) {
  const { vnc: _endpoint, ...identity } = demoScreens()[0]!;
  const screen = new DemoScreen(identity);
  screen.start();
  const server = await startRfbServer(screen, { port: 0 });
  const { ticket, sessionId } = api.ticket(server.port, false);
  const ws = new WebSocket(`${proxyUrl}/?token=${encodeURIComponent(ticket)}`, ['binary'], { origin: ORIGIN, perMessageDeflate: false });
  let received = 0;
  let wake: (() => void) | undefined;
  ws.on('message', (data: Buffer) => {
    received += data.length;
    wake?.();
  });
  const until = (bytes: number) => within(new Promise<void>((resolve) => {
    const check = () => (received >= bytes ? ((wake = undefined), resolve()) : undefined);
    wake = check;
    check();
  }), WAIT_MS, 'the typical screen');
  await within(once(ws, 'open'), WAIT_MS, 'console open');
  await until(12);
  ws.send(Buffer.from('RFB 003.008\n'));
  await until(14);
  ws.send(Buffer.from([1]));
  await until(18);
  ws.send(Buffer.from([1]));
  const request = (incremental: number) => Buffer.from([3, incremental, 0, 0, 0, 0, 0x03, 0x20, 0x02, 0x58]);
  ws.send(request(0));
  const started = Date.now();
  const asking = setInterval(() => ws.send(request(1)), 100);
  let typed = 0;
  while (Date.now() - started < TYPICAL_SECONDS * 1000) {
    for (const keysym of [...`ls -l /var/log # ${typed}`].map((character) => character.charCodeAt(0)).concat(0xff0d)) {
      for (const down of [1, 0]) {
        const event = Buffer.from([4, down, 0, 0, 0, 0, 0, 0]);
        event.writeUInt32BE(keysym, 4);
        ws.send(event);
      }
      await new Promise((resolve) => setTimeout(resolve, 125));
    }
    typed += 1;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + typed * 10_000 - Date.now())));
  }
  const seconds = (Date.now() - started) / 1000;
  clearInterval(asking);
  await server.close();
  screen.stop();
  await within(once(ws, 'close'), WAIT_MS, 'console closed');
  const report = await within((async () => {
    for (;;) {
      const found = api.reports.find((candidate) => candidate.sessionId === sessionId);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })(), WAIT_MS, 'the end report');
  const perHour = 3600 / seconds;
  return {
    seconds: round(seconds, 1),
    linesTyped: typed,
    screenBytes: received,
    recordedBytes: report.recording!.bytes,
    chunks: report.recording!.chunks,
    state: report.recording!.state,
    bytesPerHour: Math.round(report.recording!.bytes * perHour),
    // Each chunk is one PUT, and so is the header.
    putsPerHour: Math.round(report.recording!.chunks * perHour) + 1,
  };
}

/** What one recorded console-hour costs in S3 (and KMS) at list prices, kept `retentionDays`. */
export function costPerHour(bytesPerHour: number, putsPerHour: number, retentionDays: number) {
  const gb = bytesPerHour / 2 ** 30;
  const storage = gb * PRICES.storagePerGbMonth * (retentionDays / DAYS_PER_MONTH);
  const puts = (putsPerHour / 1000) * PRICES.putPerThousand;
  const kmsPerPut = (putsPerHour / 10_000) * PRICES.kmsPerTenThousand;
  return { retentionDays, storage, puts, kmsWithoutBucketKeys: kmsPerPut, totalWithBucketKeys: storage + puts, totalWithoutBucketKeys: storage + puts + kmsPerPut };
}

/** One proxy process (the built artefact) storing its recordings at `endpoint`; off/on differ only by the ticket's grant. */
async function startProxy(outDir: string, apiUrl: string, endpoint: string) {
  const port = await freePort();
  const metricsPort = await freePort();
  const proxy = spawn(process.execPath, ['main.mjs'], {
    cwd: outDir,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH, LOG_LEVEL: 'ERROR', CONSOLE_PROXY_KEY: 'bench-key', CONSOLE_BROKER_API_URL: apiUrl,
      CONSOLE_PROXY_PORT: String(port), CONSOLE_PROXY_ALLOWED_ORIGINS: ORIGIN, CONSOLE_PROXY_METRICS_PORT: String(metricsPort),
      CONSOLE_PROXY_RECORDING_BUCKET: LOCAL_RECORDING_BUCKET, CONSOLE_PROXY_S3_ENDPOINT: endpoint,
      CONSOLE_PROXY_S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId, CONSOLE_PROXY_S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    },
  });
  await waitForPort(port);
  return { proxy, url: `ws://127.0.0.1:${port}`, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}

interface Setup {
  name: 's3rver' | 'null sink';
  proxy: ChildProcess;
  storage: ChildProcess;
  url: string;
  metricsUrl: string;
  modes: Proxy[];
  bursts: Record<string, number[]>;
  burstCpu: Record<string, number[]>;
  storageCpu: number[];
  down: Record<string, number[]>;
  cpu: Record<string, number[]>;
  latency: Record<string, number[][]>;
}

export async function measureRecording() {
  const work = mkdtempSync(join(tmpdir(), 'bench-recording-'));
  const vm = await startVm();
  const api = await startStandInApi();
  const children: ChildProcess[] = [];
  try {
    const s3 = await startS3Process(join(work, 's3'));
    children.push(s3.child);
    const sink = await startNullStorage();
    children.push(sink.child);
    const { outDir } = await buildProxy(join(work, 'proxy'));
    const setups: Setup[] = [];
    for (const [name, storage] of [['s3rver', s3], ['null sink', sink]] as const) {
      const started = await startProxy(outDir, api.url, storage.endpoint);
      children.push(started.proxy);
      // The same proxy process either way; only the ticket's grant differs (recorded: screen and input, mandatory).
      const modes: Proxy[] = [
        { name: 'off', process: started.proxy, url: () => `${started.url}/?token=${encodeURIComponent(api.ticket(vm.port, undefined).ticket)}` },
        { name: 'on', process: started.proxy, url: () => `${started.url}/?token=${encodeURIComponent(api.ticket(vm.port, true).ticket)}` },
      ];
      setups.push({
        name, proxy: started.proxy, storage: storage.child, url: started.url, metricsUrl: started.metricsUrl, modes,
        bursts: { off: [], on: [] }, burstCpu: { off: [], on: [] }, storageCpu: [], down: { off: [], on: [] }, cpu: { off: [], on: [] }, latency: { off: [], on: [] },
      });
    }
    const loadAtStart = round(loadavg()[0]!, 1);
    const loads: number[] = [];
    const storageMiBps = round(await storageAlone(s3.endpoint), 1);
    const direct: number[][] = [];
    for (let pass = 0; pass < ROUNDS; pass += 1) {
      direct.push(await directEchoes(vm.port));
      loads.push(loadavg()[0]!);
      for (const setup of pass % 2 === 0 ? setups : [...setups].reverse()) {
        const { proxy, metricsUrl } = setup;
        // Which goes first alternates, so that neither always follows the other's storage writes.
        for (const mode of pass % 2 === 0 ? setup.modes : [...setup.modes].reverse()) {
          console.error(`recording bench: round ${pass + 1}/${ROUNDS}, storage ${setup.name}, recording ${mode.name}`);
          const before = cpuMs(proxy.pid!);
          await recordingsStored(metricsUrl);
          const rates: number[] = [];
          const proxyBefore = cpuMs(proxy.pid!);
          const storageBefore = cpuMs(setup.storage.pid!);
          for (let index = 0; index < BURSTS_PER_ROUND; index += 1) {
            rates.push(await burst(mode, BURST_BYTES));
            await recordingsStored(metricsUrl);
          }
          setup.bursts[mode.name]!.push(median(rates));
          // CPU per MiB bridged, the chunks' storing included (until the last one is stored): the proxy's, and the storage's.
          setup.burstCpu[mode.name]!.push((cpuMs(proxy.pid!) - proxyBefore) / ((BURSTS_PER_ROUND * BURST_BYTES) / MiB));
          if (mode.name === 'on') setup.storageCpu.push((cpuMs(setup.storage.pid!) - storageBefore) / ((BURSTS_PER_ROUND * BURST_BYTES) / MiB));
          setup.down[mode.name]!.push(await downstream(mode));
          // The proxy's CPU per MiB bridged (storing the chunks included, where they were stored meanwhile).
          setup.cpu[mode.name]!.push((cpuMs(proxy.pid!) - before) / 64);
          setup.latency[mode.name]!.push(await proxiedEchoes(mode));
        }
      }
    }
    const directP50 = median(direct.map((times) => percentile(times, 50)));
    const directP99 = median(direct.map((times) => percentile(times, 99)));
    const figuresOf = (setup: Setup, name: string) => {
      const p50 = median(setup.latency[name]!.map((times) => percentile(times, 50)));
      const p99 = median(setup.latency[name]!.map((times) => percentile(times, 99)));
      return {
        burstMiBps: round(median(setup.bursts[name]!), 1), burstProxyCpuMsPerMiB: round(median(setup.burstCpu[name]!), 2),
        toBrowserMiBps: round(median(setup.down[name]!), 1), proxyCpuMsPerMiB: round(median(setup.cpu[name]!), 2),
        roundsMiBps: setup.down[name]!.map((value) => round(value, 1)), burstRoundsMiBps: setup.bursts[name]!.map((value) => round(value, 1)),
        addedP50Ms: round(p50 - directP50, 3), addedP99Ms: round(p99 - directP99, 3),
      };
    };
    // Ratios round by round (on / off of the same round), then their median.
    const ratiosOf = (setup: Setup) => ({
      throughputOnVsOff: round(median(setup.down.on!.map((value, index) => value / setup.down.off![index]!)), 2),
      burstOnVsOff: round(median(setup.bursts.on!.map((value, index) => value / setup.bursts.off![index]!)), 2),
      burstCpuOnVsOff: round(median(setup.burstCpu.on!.map((value, index) => value / setup.burstCpu.off![index]!)), 2),
    });
    const [local, excluded] = setups as [Setup, Setup];
    console.error('recording bench: a typical screen');
    const typical = await typicalScreen(local.url, api);
    return {
      measuredAt: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
      loadAverage: { atStart: loadAtStart, perRound: loads.map((value) => round(value, 1)), atEnd: round(loadavg()[0]!, 1) },
      rounds: ROUNDS,
      chunk: { bytes: CHUNK_BYTES, milliseconds: CHUNK_MILLISECONDS },
      direct: { p50Ms: round(directP50, 3), p99Ms: round(directP99, 3) },
      off: figuresOf(local, 'off'),
      on: figuresOf(local, 'on'),
      ...ratiosOf(local),
      storageAloneMiBps: storageMiBps,
      storageCpuMsPerMiB: round(median(local.storageCpu), 2),
      /** Storage cost excluded: the same rounds with a null sink (accepts every PUT, discards it) as the storage. */
      storageExcluded: {
        off: figuresOf(excluded, 'off'),
        on: figuresOf(excluded, 'on'),
        ...ratiosOf(excluded),
        sinkCpuMsPerMiB: round(median(excluded.storageCpu), 2),
      },
      allRecorded: api.reports.filter((report) => report.recording).every((report) => report.recording!.state === 'recorded'),
      typical,
      prices: PRICES,
      costs: RETENTION_CLASSES.map((days) => costPerHour(typical.bytesPerHour, typical.putsPerHour, days)),
    };
  } finally {
    for (const child of children.reverse()) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined)));
    for (const socket of vm.sockets) socket.destroy();
    vm.server.close();
    api.server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

type Figures = Awaited<ReturnType<typeof measureRecording>>;

const dollars = (value: number) => (value >= 0.01 ? `$${value.toFixed(4)}` : `$${value.toPrecision(2)}`);

const TARGET = 0.9;
const verdict = (ratio: number) => (ratio >= TARGET ? `**met**` : `**not met**`);

export function recordingMarkdown(figures: Figures): string {
  const { off, on, typical, storageExcluded: excluded } = figures;
  const rows = (offFigures: typeof off, onFigures: typeof on) => [
    '| | recording off | recording on |',
    '|---|---:|---:|',
    `| a ${BURST_BYTES / MiB} MiB burst VM → browser, within the recording's queue (MiB/s; median of ${BURSTS_PER_ROUND} per round) | ${offFigures.burstMiBps} | ${onFigures.burstMiBps} |`,
    `| 64 MiB VM → browser at full speed (MiB/s) | ${offFigures.toBrowserMiBps} | ${onFigures.toBrowserMiBps} |`,
    `| latency added to a direct TCP round trip, p50 / p99 (ms; 2,000 16-byte echoes, each frame recorded both ways) | ${offFigures.addedP50Ms} / ${offFigures.addedP99Ms} | ${onFigures.addedP50Ms} / ${onFigures.addedP99Ms} |`,
    `| the proxy's CPU per MiB bridged in bursts (ms, all its threads; storing the chunks included) | ${offFigures.burstProxyCpuMsPerMiB} | ${onFigures.burstProxyCpuMsPerMiB} |`,
    `| the proxy's CPU per MiB bridged at full speed (ms) | ${offFigures.proxyCpuMsPerMiB} | ${onFigures.proxyCpuMsPerMiB} |`,
  ];
  const ratioLine = (ratios: { burstOnVsOff: number; throughputOnVsOff: number; burstCpuOnVsOff: number }) =>
    `On / off, the median of the rounds' ratios: a burst **${ratios.burstOnVsOff}×** (target ≥ ${TARGET}×: ${verdict(ratios.burstOnVsOff)}), 64 MiB at full speed **${ratios.throughputOnVsOff}×** (${verdict(ratios.throughputOnVsOff)}); the proxy's CPU per MiB in bursts ${ratios.burstCpuOnVsOff}×.`;
  return [
    `Measured ${figures.measuredAt.slice(0, 10)} by \`npm run bench\` (bench/recording.ts; alone: \`npx tsx bench/recording.ts\`) on ${figures.machine}, load average ${figures.loadAverage.atStart} at the start, ${figures.loadAverage.perRound.join(', ')} at each round's start and ${figures.loadAverage.atEnd} at the end (other work shares the machine). The built proxy (dist/proxy) on loopback, two of its processes: one stores in the local S3 (s3rver), one in a null sink; median of ${figures.rounds} interleaved rounds per mode (each round: both storages, recording off and on, the order alternating). Recording on: screen and input, mandatory (nothing reaches the browser unrecorded).`,
    '',
    '**Storage cost excluded: what the proxy itself pays.** The storage is a null sink, an HTTP server in a process of its own that answers every PUT at once and discards the body (bench/null-storage.ts), so what recording costs here is the proxy\'s alone: the frame copy, the S3 client (request, signature) and writing each chunk to a socket. On AWS the proxy pays this and S3 the rest; over TLS the proxy also encrypts each chunk.',
    '',
    ...rows(excluded.off, excluded.on),
    '',
    `${ratioLine(excluded)} The sink itself took ${excluded.sinkCpuMsPerMiB} ms of CPU per MiB (reading the body off the socket). Rounds, bursts (MiB/s): off ${excluded.off.burstRoundsMiBps.join(', ')}; on ${excluded.on.burstRoundsMiBps.join(', ')}; at full speed: off ${excluded.off.roundsMiBps.join(', ')}; on ${excluded.on.roundsMiBps.join(', ')}.`,
    '',
    'Where recording\'s CPU goes (a profile of the built proxy today, `PROF=1 N=6 npx tsx bench/recording-profile.ts on <dir>` and `… off <dir>`: 6 × 64 MiB at full speed into the null sink; V8\'s sampling profiler, wall time on the main thread): writing each chunk\'s PUT body to its socket 1.27 ms per MiB, the frame copy into the chunk 0.40 ms, signing each 1 MiB PUT (SigV4) 0.31 ms, the rest of the S3 client a few hundredths; sending to the browser took 1.6 ms per MiB with recording on against 0.53 ms off (the same bytes and calls; on loopback the sender\'s write also does the receivers\' kernel work, two receivers now on two shared cores, which is our likeliest reading, not one we measured apart), garbage collection about the same. So most of what recording costs the proxy is writing every byte a second time to a socket, which costs about what writing it to the browser costs; the recorder\'s JavaScript (copy, request, signature) is about 1 ms per MiB. A proxy that is the bottleneck (its one thread busy) passes bytes at the inverse of its CPU per MiB, so on / off throughput there follows the CPU ratio above; 0.9× would need recording to add a tenth of the bridging cost, less than the second socket write alone. A console\'s ordinary screen (below: about ' + Math.round(typical.bytesPerHour / 3600 / 1024) + ' KiB/s) is far from that bottleneck: there recording costs CPU, not throughput.',
    '',
    '**With the local S3 (s3rver) as the storage**, on the same two cores as the proxy and its clients:',
    '',
    ...rows(off, on),
    '',
    `${ratioLine(figures)} The local S3 takes ${figures.storageCpuMsPerMiB} ms of CPU per MiB stored (MD5, files) from the same two cores; on AWS that is S3's. At full speed a mandatory recording holds the VM back to the speed its storage takes, and the local S3 alone takes ${figures.storageAloneMiBps} MiB/s here (1 MiB PUTs one at a time, from the bench's process): a stream longer than the recording's queue cannot pass faster than the storage stores it, so this ratio measures s3rver on a shared machine, not the proxy. Every recorded console ended \`${figures.allRecorded ? 'recorded' : 'NOT all recorded'}\`. Rounds, bursts (MiB/s): off ${off.burstRoundsMiBps.join(', ')}; on ${on.burstRoundsMiBps.join(', ')}; at full speed: off ${off.roundsMiBps.join(', ')}; on ${on.roundsMiBps.join(', ')}.`,
    '',
    `**A typical screen** (the demo's: its clock redraws every second, a line typed every 10 s; Raw encoding, as the demo's VNC server speaks only that) recorded for ${typical.seconds} s: ${typical.recordedBytes} bytes in ${typical.chunks} chunks, i.e. **${round(typical.bytesPerHour / MiB, 1)} MiB and ${typical.putsPerHour} PUTs per console-hour** (a chunk every ${figures.chunk.milliseconds / 1000} s while the screen changes, or every ${figures.chunk.bytes / MiB} MiB). A VNC server that speaks Tight or ZRLE (which noVNC asks for) sends a fraction of Raw's bytes; the PUTs stay the same.`,
    '',
    `**S3 cost per recorded console-hour** at list prices (${figures.prices.region}: S3 Standard $${figures.prices.storagePerGbMonth} per GB-month, $${figures.prices.putPerThousand} per 1,000 PUTs; KMS $${figures.prices.kmsPerTenThousand} per 10,000 requests):`,
    '',
    '| retention | storage | PUTs | KMS (one request per PUT, without S3 Bucket Keys) | total with Bucket Keys (the fleet template) | total without |',
    '|---|---:|---:|---:|---:|---:|',
    ...figures.costs.map((cost) =>
      `| ${cost.retentionDays} days | ${dollars(cost.storage)} | ${dollars(cost.puts)} | ${dollars(cost.kmsWithoutBucketKeys)} | ${dollars(cost.totalWithBucketKeys)} | ${dollars(cost.totalWithoutBucketKeys)} |`),
    '',
    'With S3 Bucket Keys (`BucketKeyEnabled` in proxy/deploy/fleet.yml) S3 asks KMS for a bucket-level key now and then instead of a data key per PUT, so the KMS column falls to almost nothing. Reading a recording back (playback: one GET per chunk, $0.0004 per 1,000) is not included.',
  ].join('\n');
}

/** Measures, prints, and writes the figures into docs/recording.md (between the recording-bench markers) and bench/recording-results.json. */
export async function runRecordingBench(): Promise<Figures> {
  const figures = await measureRecording();
  const markdown = recordingMarkdown(figures);
  console.log(`\n## Recording in the proxy\n\n${markdown}\n`);
  writeReadmeSection(join(root, 'docs/recording.md'), 'recording-bench', markdown);
  writeFileSync(join(root, 'bench/recording-results.json'), `${JSON.stringify(figures, null, 2)}\n`);
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // `--write-only`: rewrites docs/recording.md from bench/recording-results.json without measuring.
  if (process.argv.includes('--write-only')) {
    const figures = JSON.parse(readFileSync(join(root, 'bench/recording-results.json'), 'utf8')) as Figures;
    writeReadmeSection(join(root, 'docs/recording.md'), 'recording-bench', recordingMarkdown(figures));
  } else await runRecordingBench();
}
