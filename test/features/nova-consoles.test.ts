import { beforeAll, describe, expect, it } from 'vitest';
import { api, CONSOLE_PROXY, loginVcenter, OPERATOR } from '../support/api.js';
import { APP_01, nova, privateServer, privateTenant } from '../support/nova.js';

let tenant: string;
let token: string;
let serverId: string;
const consoles = () => `/compute/v2.1/servers/${serverId}/consoles`;
/** Replaces the tenant's server with the same one in another state. */
async function putServer(state: Record<string, string>): Promise<void> {
  const response = await api('PUT', `/operator/v1/tenants/${tenant}/vms/vm-1`, { headers: OPERATOR, body: { ...privateServer(serverId), ...state } });
  expect(response.status).toBe(200);
}

beforeAll(async () => {
  ({ tenant, token, serverId } = await privateTenant());
});

describe('legacy os-consoles', () => {
  it('lists no consoles before one is created, and none for an unknown server', async () => {
    // A server id longer than any DynamoDB key is no server either (it once reached the table and made a 500).
    const tooLong = `/compute/v2.1/servers/${'x'.repeat(70_000)}/consoles`;
    for (const path of [consoles(), `/compute/v2.1/servers/${APP_01}/consoles`, '/compute/v2.1/servers/nope/consoles', tooLong]) {
      const response = await api('GET', path, { headers: nova(token) });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ consoles: [] });
    }
  });

  it('creates (200, no body), lists, shows with a one-time password, and deletes (202)', async () => {
    const created = await api('POST', consoles(), { headers: nova(token) });
    expect(created.status).toBe(200);
    expect(created.text).toBe('');
    // A second create keeps the server's one console.
    expect((await api('POST', consoles(), { headers: nova(token) })).status).toBe(200);

    const listed = await api('GET', consoles(), { headers: nova(token) });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ consoles: [{ console: { console_type: 'novnc', id: expect.any(Number) } }] });
    const id = listed.body.consoles[0].console.id as number;

    const shown = await api('GET', `${consoles()}/${id}`, { headers: nova(token, '2.96') });
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({
      console: {
        console_type: 'novnc',
        host: '127.0.0.1',
        id,
        instance_name: 'legacy-01',
        password: expect.stringMatching(new RegExp(`^${tenant}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]{43}$`)),
        port: 6080,
      },
    });
    const redeemed = await api('POST', '/console-proxy/v1/redemptions', {
      headers: CONSOLE_PROXY,
      body: { ticket: shown.body.console.password },
    });
    expect(redeemed.status).toBe(200);
    expect(redeemed.body.vnc).toEqual({ host: '10.0.0.9', port: 5909 });

    const deleted = await api('DELETE', `${consoles()}/${id}`, { headers: nova(token) });
    expect(deleted.status).toBe(202);
    expect(deleted.text).toBe('');
    expect((await api('GET', consoles(), { headers: nova(token) })).body).toEqual({ consoles: [] });
  });

  it.each([
    ['GET', 'an unknown id', '999999'],
    ['GET', 'a non-integer id', 'abc'],
    ['DELETE', 'an unknown id', '999999'],
    ['DELETE', 'a non-integer id', 'abc'],
  ])('%s answers 404 for %s', async (method, _case, id) => {
    const response = await api(method, `${consoles()}/${id}`, { headers: nova(token) });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ itemNotFound: { code: 404, message: `Console ${id} could not be found.` } });
  });

  it('lists, shows and deletes consoles only for a user with the console privilege (403), leaving them in place', async () => {
    await api('POST', consoles(), { headers: nova(token) });
    const id = (await api('GET', consoles(), { headers: nova(token) })).body.consoles[0].console.id as number;
    const viewerName = `viewer@${tenant}`;
    await api('PUT', `/operator/v1/tenants/${tenant}/users/${viewerName}`, {
      headers: OPERATOR,
      body: { password: 'test-viewer-pass', privileges: [] },
    });
    const viewer = await loginVcenter(viewerName, 'test-viewer-pass');
    for (const [method, path] of [['GET', consoles()], ['GET', `${consoles()}/${id}`], ['DELETE', `${consoles()}/${id}`]] as const) {
      const response = await api(method, path, { headers: nova(viewer) });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body).toEqual({ forbidden: { code: 403, message: expect.stringContaining('ConsoleInteract') } });
    }
    expect((await api('GET', consoles(), { headers: nova(token) })).body.consoles).toHaveLength(1);
    expect((await api('DELETE', `${consoles()}/${id}`, { headers: nova(token) })).status).toBe(202);
  });

  it.each([
    ['powered off', { powerState: 'poweredOff' }],
    ['suspended', { powerState: 'suspended' }],
    ['inaccessible', { connectionState: 'inaccessible' }],
    ['disconnected', { connectionState: 'disconnected' }],
  ])('show mints no password for a server that is %s: 409, as remote-consoles answers', async (_case, state) => {
    await api('POST', consoles(), { headers: nova(token) });
    const id = (await api('GET', consoles(), { headers: nova(token) })).body.consoles[0].console.id as number;
    await putServer(state);
    try {
      const shown = await api('GET', `${consoles()}/${id}`, { headers: nova(token) });
      expect(shown.status).toBe(409);
      expect(shown.body).toEqual({ conflictingRequest: { code: 409, message: `Instance ${serverId} is not ready` } });
      const remote = await api('POST', `/compute/v2.1/servers/${serverId}/remote-consoles`, {
        headers: nova(token, '2.6'),
        body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
      });
      expect(remote.status).toBe(409);
      expect(remote.body).toEqual(shown.body);
    } finally {
      await putServer({});
    }
    expect((await api('GET', `${consoles()}/${id}`, { headers: nova(token) })).status).toBe(200);
  });

  it('delete answers 404 for a server id longer than any DynamoDB key', async () => {
    const response = await api('DELETE', `/compute/v2.1/servers/${'x'.repeat(70_000)}/consoles/1`, { headers: nova(token) });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ itemNotFound: { code: 404, message: 'Console 1 could not be found.' } });
  });

  it.each([
    ['an unknown server', '00000000-0000-4000-8000-000000000000'],
    ["another tenant's server", APP_01],
  ])('create answers 404 for %s', async (_case, server) => {
    const response = await api('POST', `/compute/v2.1/servers/${server}/consoles`, { headers: nova(token) });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ itemNotFound: { code: 404, message: `Instance ${server} could not be found.` } });
  });

  it('answers 401 without a token', async () => {
    const response = await api('GET', consoles());
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ unauthorized: { code: 401, message: 'Authentication required.' } });
  });
});
