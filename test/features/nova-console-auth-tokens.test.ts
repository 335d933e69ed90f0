import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { advanceClock, resetClock } from '../../lib/core/clock.js';
import { api, CONSOLE_PROXY, OPERATOR } from '../support/api.js';
import { nova, novaToken, tokenOf, versionHeadersOf, WEB_01 } from '../support/nova.js';

const lookup = (token: string, headers: Record<string, string>) =>
  api('GET', `/compute/v2.1/os-console-auth-tokens/${token}`, { headers });
const PROXY_AS_BEARER = (version: string) => ({ ...CONSOLE_PROXY, 'x-openstack-nova-api-version': version });
const PROXY_AS_TOKEN = (version: string) => ({ 'x-auth-token': 'demo-console-proxy-key', 'x-openstack-nova-api-version': version });

let admin: string;
beforeAll(async () => {
  admin = await novaToken();
});
afterEach(() => resetClock());

async function consoleToken(): Promise<string> {
  const response = await api('POST', `/compute/v2.1/servers/${WEB_01}/remote-consoles`, {
    headers: nova(admin, '2.6'),
    body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
  });
  return tokenOf(response.body.remote_console.url);
}

const CONNECTION = { console: { instance_uuid: WEB_01, host: '127.0.0.1', port: 5901, internal_access_path: null } };

describe('GET /compute/v2.1/os-console-auth-tokens/{console_token}', () => {
  it.each([
    ['Authorization: Bearer', PROXY_AS_BEARER('2.31')],
    ['X-Auth-Token', PROXY_AS_TOKEN('2.31')],
  ])('shows where a live token leads, to the console proxy key as %s', async (_case, headers) => {
    const response = await lookup(await consoleToken(), headers);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(CONNECTION);
    expect(response.headers).toMatchObject(versionHeadersOf('2.31'));
  });

  it('does not consume the token: the proxy still redeems it once afterwards', async () => {
    const token = await consoleToken();
    expect((await lookup(token, PROXY_AS_BEARER('2.31'))).status).toBe(200);
    expect((await lookup(token, PROXY_AS_BEARER('latest'))).status).toBe(200);
    const redeemed = await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket: token } });
    expect(redeemed.status).toBe(200);
    const after = await lookup(token, PROXY_AS_BEARER('2.31'));
    expect(after.status).toBe(404);
    expect(after.body).toEqual({ itemNotFound: { code: 404, message: 'Token not found' } });
  });

  it('before 2.31 shows only rdp-html5 tokens: 401 for a noVNC token, as Nova', async () => {
    const response = await lookup(await consoleToken(), PROXY_AS_BEARER('2.30'));
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      unauthorized: { code: 401, message: 'The requested console type details are not accessible' },
    });
    expect(response.headers).toMatchObject(versionHeadersOf('2.30'));
  });

  it('refuses an unsupported version with 406', async () => {
    const response = await lookup(await consoleToken(), PROXY_AS_BEARER('2.100'));
    expect(response.status).toBe(406);
    expect(response.body).toEqual({
      computeFault: { code: 406, message: 'Version 2.100 is not supported by the API. Minimum is 2.1 and maximum is 2.96.' },
    });
  });

  it('answers 404 for an expired token', async () => {
    const token = await consoleToken();
    advanceClock(30 * 60 * 1000 + 1000);
    const response = await lookup(token, PROXY_AS_BEARER('2.31'));
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ itemNotFound: { code: 404, message: 'Token not found' } });
  });

  it.each([
    ['an unknown token', `acme.${'z'.repeat(16)}.${'z'.repeat(43)}`],
    ['a forged tenant', `globex.${'z'.repeat(16)}.${'z'.repeat(43)}`],
    ['a malformed token', '6587c1f6-3ba4-4c6d-b82d-a0bf5a8cf81e'],
  ])('answers 404 for %s', async (_case, token) => {
    const response = await lookup(token, PROXY_AS_BEARER('2.31'));
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ itemNotFound: { code: 404, message: 'Token not found' } });
  });

  it("forbids a tenant's own token (admin only): 403", async () => {
    const response = await lookup(await consoleToken(), nova(admin, '2.31'));
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-console-auth-tokens to be performed." },
    });
  });

  it.each([
    ['no credentials', { 'x-openstack-nova-api-version': '2.31' }],
    ['the operator key', { ...OPERATOR, 'x-openstack-nova-api-version': '2.31' }],
    ['a wrong key', { 'x-auth-token': 'demo-console-proxy-key-x' }],
  ])('answers 401 for %s', async (_case, headers) => {
    const response = await lookup(await consoleToken(), headers);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ unauthorized: { code: 401, message: 'A valid platform key is required.' } });
  });
});
