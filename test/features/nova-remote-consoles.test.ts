import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, CONSOLE_PROXY } from '../support/api.js';
import { APP_01, DB_01, nova, novaToken, tokenOf, versionHeadersOf, WEB_01 } from '../support/nova.js';

const VNC = { remote_console: { protocol: 'vnc', type: 'novnc' } };
const create = (token: string, version: string | undefined, body: unknown = VNC, server = WEB_01) =>
  api('POST', `/compute/v2.1/servers/${server}/remote-consoles`, { headers: nova(token, version), body });

let admin: string;
beforeAll(async () => {
  admin = await novaToken();
});
afterEach(() => {
  delete process.env.NOVA_CONSOLE_TYPES;
});

describe('POST /compute/v2.1/servers/{server_id}/remote-consoles', () => {
  it('answers 200 with a noVNC URL whose path carries a fresh console token', async () => {
    const response = await create(admin, '2.6');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      remote_console: {
        protocol: 'vnc',
        type: 'novnc',
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:6080\/vnc_auto\.html\?path=%3Ftoken%3Dacme\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/),
      },
    });
    expect(response.headers).toMatchObject(versionHeadersOf('2.6'));
  });

  it('issues a token the console proxy redeems exactly once', async () => {
    const token = tokenOf((await create(admin, '2.8')).body.remote_console.url);
    const first = await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket: token } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      tenantId: 'acme',
      vmMoId: 'vm-101',
      instanceUuid: WEB_01,
      consoleType: 'novnc',
      issuedTo: 'admin@acme',
      issuedAt: expect.any(String),
      vnc: { host: '127.0.0.1', port: 5901 },
      session: { sessionId: expect.any(String), idleTimeoutSeconds: 1200, maxDurationSeconds: 86_400, heartbeatSeconds: 60 },
    });
    const second = await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket: token } });
    expect(second.status).toBe(404);
  });

  it('issues a different token on every call', async () => {
    const [a, b] = await Promise.all([create(admin, '2.6'), create(admin, '2.6')]);
    expect(tokenOf(a.body.remote_console.url)).not.toBe(tokenOf(b.body.remote_console.url));
  });

  describe('microversions', () => {
    it.each([
      ['no version header (2.1)', undefined, '2.1'],
      ['2.5', '2.5', '2.5'],
    ])('is not found with %s: the method starts at 2.6', async (_case, version, answered) => {
      const response = await create(admin, version);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
      expect(response.headers).toMatchObject(versionHeadersOf(answered));
    });

    it('takes OpenStack-API-Version over the legacy header', async () => {
      const response = await api('POST', `/compute/v2.1/servers/${WEB_01}/remote-consoles`, {
        headers: { ...nova(admin, '2.5'), 'openstack-api-version': 'volume 3.0, compute 2.6' },
        body: VNC,
      });
      expect(response.status).toBe(200);
      expect(response.headers).toMatchObject(versionHeadersOf('2.6'));
    });

    it('answers latest with the maximum, 2.96', async () => {
      const response = await create(admin, 'latest');
      expect(response.status).toBe(200);
      expect(response.headers).toMatchObject(versionHeadersOf('2.96'));
    });

    it.each(['2.97', '3.0', '2.0', '1.1'])('refuses unsupported version %s with 406', async (version) => {
      const response = await create(admin, version);
      expect(response.status).toBe(406);
      expect(response.body).toEqual({
        computeFault: {
          code: 406,
          message: `Version ${version} is not supported by the API. Minimum is 2.1 and maximum is 2.96.`,
        },
      });
      expect(response.headers['openstack-api-version']).toBeUndefined();
    });

    it.each(['2.x', '2.06', 'two'])('refuses malformed version %s with 400', async (version) => {
      const response = await create(admin, version);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        badRequest: {
          code: 400,
          message: `API Version String ${version} is of invalid format. Must be of format MajorNum.MinorNum.`,
        },
      });
    });

    it('refuses mks before 2.8 as the 2.6 schema does', async () => {
      const response = await create(admin, '2.7', { remote_console: { protocol: 'mks', type: 'webmks' } });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        badRequest: {
          code: 400,
          message: "Invalid input for field/attribute protocol. Value: mks. 'mks' is not one of ['vnc', 'spice', 'serial', 'rdp']",
        },
      });
    });

    it('knows mks from 2.8: valid, but not served by this deployment (501)', async () => {
      const response = await create(admin, '2.8', { remote_console: { protocol: 'mks', type: 'webmks' } });
      expect(response.status).toBe(501);
      expect(response.body).toEqual({
        notImplemented: { code: 501, message: 'The requested functionality is not supported.' },
      });
    });

    it('serves webmks when configured, in Nova mks URL shape', async () => {
      process.env.NOVA_CONSOLE_TYPES = 'vnc/novnc,mks/webmks';
      const response = await create(admin, '2.8', { remote_console: { protocol: 'mks', type: 'webmks' } });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        remote_console: {
          protocol: 'mks',
          type: 'webmks',
          url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:6080\/\?token=acme\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/),
        },
      });
    });
  });

  it.each([
    ['a valid pair the deployment does not serve', { remote_console: { protocol: 'spice', type: 'spice-html5' } }, 501, 'notImplemented', 'The requested functionality is not supported.'],
    ['rdp', { remote_console: { protocol: 'rdp', type: 'rdp-html5' } }, 501, 'notImplemented', 'The requested functionality is not supported.'],
    ['a protocol with another protocol\'s type', { remote_console: { protocol: 'vnc', type: 'spice-html5' } }, 400, 'badRequest', 'Invalid console type spice-html5'],
    ['an unknown type', { remote_console: { protocol: 'vnc', type: 'vnc' } }, 400, 'badRequest', "Invalid input for field/attribute type. Value: vnc. 'vnc' is not one of ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'rdp-html5', 'webmks']"],
  ])('refuses %s', async (_case, body, status, fault, message) => {
    const response = await create(admin, '2.8', body);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ [fault]: { code: status, message } });
  });

  it.each([
    ['no body', undefined],
    ['an empty object', {}],
    ['a missing type', { remote_console: { protocol: 'vnc' } }],
    ['an extra property', { remote_console: { protocol: 'vnc', type: 'novnc', password: 'x' } }],
    ['a non-string protocol', { remote_console: { protocol: 5, type: 'novnc' } }],
    ['JSON that is not an object', '"vnc"'],
    ['text that is not JSON', 'remote_console=vnc'],
  ])('refuses %s with 400 badRequest', async (_case, body) => {
    const response = await api('POST', `/compute/v2.1/servers/${WEB_01}/remote-consoles`, { headers: nova(admin, '2.6'), body });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ badRequest: { code: 400, message: expect.any(String) } });
  });

  it.each([
    ['an unknown server', '00000000-0000-4000-8000-000000000000'],
    ["another tenant's server", APP_01],
    ['a server id that is not a UUID', 'web-01'],
  ])('answers 404 for %s', async (_case, server) => {
    const response = await create(admin, '2.6', VNC, server);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ itemNotFound: { code: 404, message: `Instance ${server} could not be found.` } });
  });

  it('answers 409 for a server that is not powered on', async () => {
    const response = await create(admin, '2.6', VNC, DB_01);
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ conflictingRequest: { code: 409, message: `Instance ${DB_01} is not ready` } });
  });

  it('answers 403 for a user without console privilege', async () => {
    const viewer = await novaToken('viewer@acme', 'acme-viewer-pass');
    const response = await create(viewer, '2.6');
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ forbidden: { code: 403, message: expect.stringContaining('ConsoleInteract') } });
  });

  it.each([
    ['no token', {}],
    ['an unknown token', { 'x-auth-token': `acme.${'x'.repeat(16)}.${'x'.repeat(43)}` }],
    ['a malformed token', { 'x-auth-token': 'gAAAAA-not-ours' }],
  ])('answers 401 for %s, before looking at the version', async (_case, headers) => {
    const response = await api('POST', `/compute/v2.1/servers/${WEB_01}/remote-consoles`, {
      headers: { ...headers, 'x-openstack-nova-api-version': '9.9' },
      body: VNC,
    });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ unauthorized: { code: 401, message: expect.any(String) } });
    expect(response.headers['x-openstack-nova-api-version']).toBeUndefined();
  });
});
