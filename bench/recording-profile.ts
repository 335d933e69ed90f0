/**
 * A profiling aid for the recorder (not part of `npm run bench`): the built proxy, its storage the null sink,
 * a VM streaming 64 MiB (or, with BURST=1, 4 MiB bursts) to the browser N times, recording on or off; prints
 * MiB/s and the proxy's CPU per MiB. PROF=1 adds `node --cpu-prof` (profiles in the directory given second);
 * TRACE_GC=1 adds `--trace-gc`; DIST=<dir> uses a proxy built there instead of building one.
 *   PROF=1 N=6 npx tsx bench/recording-profile.ts on /tmp/prof-on
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { REDEMPTIONS_PATH, AUDIT_RECORDS_PATH } from '../lib/protocol/console-proxy.js';
import { recordingKeyPrefix } from '../lib/protocol/recording.js';
import { issueSecret } from '../lib/protocol/secrets.js';
import { buildProxy } from '../scripts/build.js';
import { downstream, freePort, openConsole, startVm, waitForPort, median, type Proxy } from './proxy-vs-websockify.js';
import { startNullStorage } from './null-storage.js';
import { readFileSync } from 'node:fs';

const record = process.argv[2] !== 'off';
const profDir = process.argv[3] ?? '/tmp/recprof';
const targets = new Map<string, unknown>();
const api = createServer((req, res) => {
  const c: Buffer[] = []; req.on('data', (d) => c.push(d)); req.on('end', () => {
    const body = JSON.parse(Buffer.concat(c).toString() || '{}');
    if (req.url === AUDIT_RECORDS_PATH) return void res.writeHead(204).end();
    const t = req.url === REDEMPTIONS_PATH ? targets.get(body.ticket) : undefined;
    if (!t) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(t));
  });
});
await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
const apiUrl = `http://127.0.0.1:${(api.address() as any).port}`;
const vm = await startVm();
const sink = await startNullStorage();
const outDir = process.env.DIST ?? (await buildProxy('/tmp/recprof/dist')).outDir;
const port = await freePort();
const cpuMs = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const proxy = spawn(process.execPath, [...(process.env.TRACE_GC ? ['--trace-gc'] : []), ...(process.env.PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), 'main.mjs'], { cwd: outDir, stdio: 'inherit', env: {
  PATH: process.env.PATH, LOG_LEVEL: 'ERROR', CONSOLE_PROXY_KEY: 'k', CONSOLE_BROKER_API_URL: apiUrl, CONSOLE_PROXY_PORT: String(port),
  CONSOLE_PROXY_ALLOWED_ORIGINS: 'http://bench.console.test', CONSOLE_PROXY_RECORDING_BUCKET: 'console-recordings', CONSOLE_PROXY_S3_ENDPOINT: sink.endpoint,
  CONSOLE_PROXY_S3_ACCESS_KEY_ID: 'x', CONSOLE_PROXY_S3_SECRET_ACCESS_KEY: 'y' } });
await waitForPort(port);
const mode: Proxy = { name: record ? 'on' : 'off', process: proxy, url: () => {
  const id = randomUUID(); const { value } = issueSecret('bench', 'bench-scope-0000');
  targets.set(value, { tenantId: 'bench', vmMoId: 'vm-1', instanceUuid: '00000000-0000-4000-8000-000000000001', consoleType: 'novnc', issuedTo: 'b@b', issuedAt: new Date().toISOString(), vnc: { host: '127.0.0.1', port: vm.port }, session: { sessionId: randomUUID(), idleTimeoutSeconds: 900, maxDurationSeconds: 3600, heartbeatSeconds: 300 },
    ...(record ? { recording: { recordingId: id, keyPrefix: recordingKeyPrefix('bench', 'vm-1', id), input: true, mandatory: true, retentionDays: 30 } } : {}) });
  return `ws://127.0.0.1:${port}/?token=${encodeURIComponent(value)}`; } };
const rates: number[] = []; await downstream(mode); await new Promise((r) => setTimeout(r, 500)); const before = cpuMs(proxy.pid!);
for (let i = 0; i < Number(process.env.N ?? 8); i++) {
  if (process.env.BURST) { const c = await openConsole(mode, 'D'); const h = Buffer.alloc(4); h.writeUInt32BE(4 << 20); const t = performance.now(); c.ws.send(h); await c.next(4 << 20); rates.push(4 / ((performance.now() - t) / 1000)); c.ws.close(); }
  else rates.push(await downstream(mode));
  await new Promise((r) => setTimeout(r, 300)); }
await new Promise((r) => setTimeout(r, 500));
console.log(mode.name, 'MiB/s', rates.map((r) => r.toFixed(0)).join(' '), 'median', median(rates).toFixed(1), 'cpu ms/MiB', ((cpuMs(proxy.pid!) - before) / ((process.env.BURST ? 4 : 64) * rates.length)).toFixed(2));
proxy.kill('SIGINT'); await new Promise((r) => proxy.on('exit', r));
sink.child.kill('SIGTERM'); for (const s of vm.sockets) s.destroy(); vm.server.close(); api.close();
