/**
 * The proxy's metrics (proxy/metrics.ts), scraped from their own port while real consoles go through the real
 * proxy, the real API over HTTP and an in-process RFB server: open sessions, pending redemptions,
 * redemptions by outcome, bytes each way, closes by code; never a tenant, a VM or a ticket.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { consoleBrokerApi } from '../../proxy/api.js';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { CONSOLE_PAGE_ORIGIN, createTenant, createVm, issueConsoleTicket, proxyConfig } from '../support/console-fixtures.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';
import { eventually } from '../support/wait.js';
import type { VmRecord } from '../../lib/records.js';

const RFB_VERSION = Buffer.from('RFB 003.008\n');

let apiServer: ApiServer;
let rfb: Server;
const vncSockets: Socket[] = [];
let proxy: ConsoleProxy;
let vm: VmRecord;
/** Redemptions wait here until the test lets them through, so that one can be seen pending. */
let gate: Promise<void> = Promise.resolve();

const scrape = async (): Promise<Map<string, number>> => {
  const response = await fetch(proxy.metricsUrl!);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const text = await response.text();
  expect(text).not.toContain(vm.tenantId);
  expect(text).not.toContain(vm.moId);
  return new Map(text.split('\n').filter((line) => line && !line.startsWith('#')).map((line) => {
    const at = line.lastIndexOf(' ');
    return [line.slice(0, at), Number(line.slice(at + 1))] as const;
  }));
};

const open = (ticket: string) => {
  const ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/?token=${encodeURIComponent(ticket)}`, { origin: CONSOLE_PAGE_ORIGIN });
  const received: Buffer[] = [];
  ws.on('message', (data: Buffer) => received.push(data));
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return { ws, received, closed, opened: once(ws, 'open') };
};

beforeAll(async () => {
  apiServer = await startApiServer();
  rfb = createServer((socket) => {
    vncSockets.push(socket);
    socket.on('error', () => undefined);
    socket.write(RFB_VERSION);
    socket.resume();
  }).listen(0, '127.0.0.1');
  await once(rfb, 'listening');
  vm = await createVm(await createTenant('metrics'), 'vm-301', (rfb.address() as { port: number }).port);
  const real = consoleBrokerApi({ baseUrl: apiServer.url, apiKey: 'demo-console-proxy-key', timeoutMs: 60_000 });
  proxy = await startConsoleProxy(proxyConfig(apiServer.url, { metrics: { host: '127.0.0.1', port: 0 } }), {
    ...real,
    redeemTicket: async (ticket) => {
      await gate;
      return real.redeemTicket(ticket);
    },
  });
});

afterAll(async () => {
  await proxy?.close();
  for (const socket of vncSockets) socket.destroy();
  await new Promise((resolve) => rfb?.close(resolve));
  await apiServer?.close();
});

describe('console proxy metrics', () => {
  it('count sessions, redemptions, bytes each way and closes by code, on their own port only', async () => {
    expect(proxy.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(proxy.metricsUrl).not.toContain(`:${proxy.port}/`);
    const before = await scrape();
    expect(before.get('console_proxy_sessions_open')).toBe(0);
    expect(before.get('console_proxy_redemptions_pending')).toBe(0);
    expect(before.get('console_proxy_bytes_total{direction="to_vm"}')).toBe(0);
    expect(before.get('process_resident_memory_bytes')).toBeGreaterThan(0);

    // One redemption held at the gate: pending, and its session open (being set up).
    let letThrough!: () => void;
    gate = new Promise((resolve) => (letThrough = resolve));
    const console1 = open(await issueConsoleTicket(vm));
    await console1.opened;
    await eventually(async () => (await scrape()).get('console_proxy_redemptions_pending') === 1, 'a pending redemption');
    expect((await scrape()).get('console_proxy_sessions_open')).toBe(1);
    letThrough();

    // Bridged: the VM's 12-byte ProtocolVersion comes through, and 20 bytes go the other way.
    await eventually(() => Buffer.concat(console1.received).length === RFB_VERSION.length, 'the ProtocolVersion');
    console1.ws.send(Buffer.alloc(12, 0x41));
    console1.ws.send(Buffer.alloc(8, 0x42));
    const bridged = await eventually(async () => {
      const metrics = await scrape();
      return metrics.get('console_proxy_bytes_total{direction="to_vm"}') === 20 && metrics;
    }, 'the bytes to the VM counted');
    expect(bridged.get('console_proxy_bytes_total{direction="from_vm"}')).toBe(12);
    expect(bridged.get('console_proxy_redemptions_total{outcome="valid"}')).toBe(1);
    expect(bridged.get('console_proxy_redemptions_pending')).toBe(0);
    expect(bridged.get('console_proxy_sessions_open')).toBe(1);

    // A forged ticket (one character changed): refused (1008), an invalid redemption.
    const forged = open((await issueConsoleTicket(vm)).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    expect(await forged.closed).toBe(1008);

    console1.ws.close(1000);
    expect(await console1.closed).toBe(1000);
    const after = await eventually(async () => {
      const metrics = await scrape();
      return metrics.get('console_proxy_sessions_open') === 0 && metrics.get('console_proxy_closes_total{code="1000"}') === 1 && metrics;
    }, 'the session closed and counted');
    expect(after.get('console_proxy_closes_total{code="1008"}')).toBe(1);
    expect(after.get('console_proxy_redemptions_total{outcome="invalid"}')).toBe(1);
    expect(after.get('console_proxy_redemptions_total{outcome="api_unavailable"}')).toBe(0);

    // Nothing of it on the public port.
    expect((await fetch(`${proxy.url}/metrics`)).status).toBe(404);
  });
});
