/**
 * Security bounds as `npm start` serves them (docs/security.md): the front door sets the forwarding headers
 * itself, and a deleted tenant's tickets, sessions and agent credential stop working at the 202.
 */
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { basic, session } from '../support/api.js';
import { labVmSpec } from '../support/lab.js';
import { startStack, type Stack } from '../support/local-stack.js';

let stack: Stack;
/** A VM's VNC endpoint: the RFB greeting to every connection, counted. */
let screen: Server | undefined;
let screenConnections = 0;

beforeAll(async () => {
  stack = await startStack();
}, 300_000);

afterAll(async () => {
  screen?.close();
  if (!stack) return;
  stack.child.kill('SIGTERM');
  await stack.exited;
}, 60_000);

const keystoneLogin = (headers: Record<string, string> = {}) =>
  fetch(`${stack.url}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin@acme', domain: { name: 'Default' }, password: 'acme-admin-pass' } } },
      },
    }),
  });

const catalogUrls = (body: { token: { catalog: { endpoints: { url: string }[] }[] } }) =>
  body.token.catalog.flatMap((service) => service.endpoints.map((endpoint) => endpoint.url));

describe('the front door', () => {
  it.each([
    ['X-Forwarded-Proto', { 'x-forwarded-proto': 'javascript' }],
    ['X-Forwarded-Proto with a host', { 'x-forwarded-proto': 'javascript://evil.example:1/x,https' }],
    ['X-Forwarded-Host', { 'x-forwarded-host': 'evil.example' }],
    ['Forwarded', { forwarded: 'proto=https;host=evil.example' }],
  ])("sets the forwarding headers itself: a client's own %s never reaches the catalog", async (_header, headers) => {
    const response = await keystoneLogin(headers);
    expect(response.status).toBe(201);
    const urls = catalogUrls((await response.json()) as never);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url.startsWith(`${stack.url}/`)).toBe(true);
  });

  it('names https in the catalog over https, whatever the client says', async () => {
    const body = JSON.stringify({
      auth: { identity: { methods: ['password'], password: { user: { name: 'admin@acme', domain: { name: 'Default' }, password: 'acme-admin-pass' } } } },
    });
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = httpsRequest(
        `${stack.httpsUrl}/identity/v3/auth/tokens`,
        { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'http' } },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    expect(answer.status).toBe(201);
    for (const url of catalogUrls(JSON.parse(answer.text))) expect(url.startsWith(`${stack.httpsUrl}/`)).toBe(true);
  });
});

const OPERATOR = { authorization: 'Bearer demo-operator-key', 'content-type': 'application/json' };
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = OPERATOR) =>
  fetch(`${stack.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });

/** Opens a WEBMKS URI through npm start's console proxy: `opened` once the VM's greeting arrives, else how it closed. */
function openConsole(uri: string): Promise<string> {
  const proxy = `127.0.0.1:${stack.ports[4]}`;
  const ws = new WebSocket(uri.replace(/^wss:\/\/[^/]+/, `ws://${proxy}`), 'binary', { origin: `http://${proxy}` });
  return new Promise((resolve) => {
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => {
      if (data.toString().startsWith('RFB ')) {
        resolve('opened');
        ws.close();
      }
    });
    ws.on('close', (code, reason) => resolve(`${code} ${reason.toString()}`));
  });
}

describe('a deleted tenant under npm start', () => {
  it("opens no screen with the tenant's tickets once DELETE answered 202", async () => {
    screen = createServer((socket) => {
      screenConnections += 1;
      socket.on('error', () => undefined);
      socket.write('RFB 003.008\n');
    });
    screen.listen(0, '127.0.0.1');
    await once(screen, 'listening');
    const vncPort = (screen.address() as { port: number }).port;
    const tenantId = 'local-cut';
    expect((await call('PUT', `/operator/v1/tenants/${tenantId}`, { displayName: 'Cut' })).status).toBe(200);
    const userName = `ops@${tenantId}`;
    const user = { password: 'a-long-password', privileges: ['VirtualMachine.Interact.ConsoleInteract'] };
    expect((await call('PUT', `/operator/v1/tenants/${tenantId}/users/${userName}`, user)).status).toBe(200);
    const vm = labVmSpec('vm-1', { vnc: { host: '127.0.0.1', port: vncPort } });
    expect((await call('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-1`, vm)).status).toBe(200);
    const sessionId = (await (await call('POST', '/api/session', undefined, basic(userName, 'a-long-password'))).json()) as string;
    const ticket = async () => {
      const response = await call('POST', '/api/vcenter/vm/vm-1/console/tickets', { type: 'WEBMKS' }, session(sessionId));
      expect(response.status).toBe(201);
      return ((await response.json()) as { ticket: string }).ticket;
    };
    // While the tenant is live, its ticket opens the screen.
    expect(await openConsole(await ticket())).toBe('opened');
    const tickets = [await ticket(), await ticket(), await ticket()];
    const connectionsBefore = screenConnections;

    expect((await call('DELETE', `/operator/v1/tenants/${tenantId}`)).status).toBe(202);
    const outcomes = [];
    for (const uri of tickets) outcomes.push(await openConsole(uri));
    expect(outcomes).toEqual(tickets.map(() => '1008 The console ticket is not valid: it is unknown, expired or already used.'));
    expect(screenConnections).toBe(connectionsBefore);
  });
});
