/**
 * TLS in the proxy (proxy/tls.ts): a console over wss with a self-signed certificate, then the certificate and
 * key files replaced on disk: new connections get the new certificate, the open console stays up.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { selfSignedCertificate } from '../../scripts/self-signed-certificate.js';
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
let folder: string;
const first = selfSignedCertificate();
const second = selfSignedCertificate();
const fingerprintOf = (pem: Buffer) => new X509Certificate(pem).fingerprint256;

/** The certificate the proxy presents to a new TLS connection right now. */
const presented = (): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: proxy.port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    }).on('error', reject);
  });

/** A console over wss trusting only `ca`; resolves once the VM's ProtocolVersion came through. */
async function openConsole(ca: Buffer): Promise<WebSocket> {
  const ws = new WebSocket(`${proxy.url.replace('https', 'wss')}/?token=${encodeURIComponent(await issueConsoleTicket(vm))}`, {
    origin: CONSOLE_PAGE_ORIGIN,
    ca,
  });
  const received: Buffer[] = [];
  ws.on('message', (data: Buffer) => received.push(data));
  await eventually(() => Buffer.concat(received).equals(RFB_VERSION), 'the ProtocolVersion over wss');
  return ws;
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'proxy-tls-'));
  writeFileSync(join(folder, 'cert.pem'), first.cert);
  writeFileSync(join(folder, 'key.pem'), first.key, { mode: 0o600 });
  apiServer = await startApiServer();
  rfb = createServer((socket) => {
    vncSockets.push(socket);
    socket.on('error', () => undefined);
    socket.write(RFB_VERSION);
    socket.resume();
  }).listen(0, '127.0.0.1');
  await once(rfb, 'listening');
  vm = await createVm(await createTenant('tls'), 'vm-401', (rfb.address() as { port: number }).port);
  proxy = await startConsoleProxy(proxyConfig(apiServer.url, { tls: { certFile: join(folder, 'cert.pem'), keyFile: join(folder, 'key.pem') } }));
});

afterAll(async () => {
  await proxy?.close();
  for (const socket of vncSockets) socket.destroy();
  await new Promise((resolve) => rfb?.close(resolve));
  await apiServer?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe('console proxy TLS', () => {
  it('serves wss with the certificate files and picks up new ones without dropping open consoles', async () => {
    expect(proxy.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await presented()).toBe(fingerprintOf(first.cert));
    const before = await openConsole(first.cert);

    // A renewal: key then certificate replaced in place.
    writeFileSync(join(folder, 'key.pem'), second.key, { mode: 0o600 });
    writeFileSync(join(folder, 'cert.pem'), second.cert);
    await eventually(async () => (await presented()) === fingerprintOf(second.cert), 'the new certificate presented');

    const after = await openConsole(second.cert);
    // The console opened before the renewal is still bridged.
    expect(before.readyState).toBe(WebSocket.OPEN);
    before.close(1000);
    after.close(1000);
    await Promise.all([once(before, 'close'), once(after, 'close')]);
  });
});
