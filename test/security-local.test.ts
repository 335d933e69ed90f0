/**
 * Security bounds as `npm start` serves them (docs/security.md): the front door sets the forwarding headers
 * itself, and a deleted tenant's tickets, sessions and agent credential stop working at the 202.
 */
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/local-stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 300_000);

afterAll(async () => {
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
