import { describe, expect, it } from 'vitest';
import { api, CONSOLE_PROXY } from '../support/api.js';
import { nova, tokenOf, WEB_01 } from '../support/nova.js';

const passwordAuth = (user: Record<string, unknown>, scope?: unknown) => ({
  auth: { identity: { methods: ['password'], password: { user } }, ...(scope === undefined ? {} : { scope }) },
});
const authenticate = (body: unknown) => api('POST', '/identity/v3/auth/tokens', { body });

const endpoints = (id: string, url: string) =>
  ['public', 'internal', 'admin'].map((face) => ({ id: `${id}-${face}`, interface: face, region: 'RegionOne', region_id: 'RegionOne', url }));
const acme = { id: 'acme', name: 'acme' };
const unauthorized = {
  error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' },
};

describe('POST /identity/v3/auth/tokens', () => {
  it('answers 201 with X-Subject-Token and a project-scoped token whose catalog names /compute/v2.1', async () => {
    const response = await authenticate(
      passwordAuth({ name: 'admin', domain: { name: 'acme' }, password: 'acme-admin-pass' }, { project: { name: 'acme', domain: { name: 'acme' } } }),
    );
    expect(response.status).toBe(201);
    expect(response.headers['x-subject-token']).toMatch(/^acme\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(response.body).toEqual({
      token: {
        methods: ['password'],
        user: { domain: acme, id: 'admin@acme', name: 'admin@acme', password_expires_at: null },
        audit_ids: [expect.stringMatching(/^[0-9a-f]{8}$/)],
        expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
        issued_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
        project: { domain: acme, ...acme },
        is_domain: false,
        roles: [
          { id: 'member', name: 'member' },
          { id: 'reader', name: 'reader' },
        ],
        catalog: [
          { endpoints: endpoints('compute', 'http://api.test/compute/v2.1'), id: 'compute', type: 'compute', name: 'nova' },
          { endpoints: endpoints('identity', 'http://api.test/identity'), id: 'identity', type: 'identity', name: 'keystone' },
        ],
      },
    });
    expect(JSON.stringify(response.body)).not.toContain(response.headers['x-subject-token']!.split('.').at(-1)!);
  });

  it('issues a token the compute API accepts as X-Auth-Token, whose console token redeems once', async () => {
    const login = await authenticate(passwordAuth({ name: 'admin@acme', domain: { name: 'Default' }, password: 'acme-admin-pass' }));
    expect(login.status).toBe(201);
    const console = await api('POST', `/compute/v2.1/servers/${WEB_01}/remote-consoles`, {
      headers: nova(login.headers['x-subject-token']!, '2.6'),
      body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
    });
    expect(console.status).toBe(200);
    const ticket = tokenOf(console.body.remote_console.url);
    expect((await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } })).status).toBe(200);
    expect((await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } })).status).toBe(404);
  });

  it.each([
    ['the full user name as id', { id: 'viewer@acme', password: 'acme-viewer-pass' }, undefined],
    ['name and domain id', { name: 'viewer', domain: { id: 'acme' }, password: 'acme-viewer-pass' }, { project: { id: 'acme' } }],
  ])('accepts %s', async (_case, user, scope) => {
    const response = await authenticate(passwordAuth(user, scope));
    expect(response.status).toBe(201);
    expect(response.body.token.user.name).toBe('viewer@acme');
    expect(response.body.token.roles).toEqual([{ id: 'reader', name: 'reader' }]);
  });

  it.each([
    ['a wrong password', { name: 'admin@acme', password: 'wrong-password' }, undefined],
    ['an unknown user', { name: 'ghost', domain: { name: 'acme' }, password: 'acme-admin-pass' }, undefined],
    ['the wrong domain', { name: 'admin', domain: { name: 'globex' }, password: 'acme-admin-pass' }, undefined],
    ["another tenant's project", { name: 'admin@acme', password: 'acme-admin-pass' }, { project: { name: 'globex', domain: { name: 'globex' } } }],
    ['a domain scope', { name: 'admin@acme', password: 'acme-admin-pass' }, { domain: { name: 'acme' } }],
  ])('refuses %s with 401 in Keystone shape', async (_case, user, scope) => {
    const response = await authenticate(passwordAuth(user, scope));
    expect(response.status).toBe(401);
    expect(response.body).toEqual(unauthorized);
    expect(response.headers['x-subject-token']).toBeUndefined();
  });

  it.each([
    ['another method', ['oauth1']],
    ['two methods', ['password', 'token']],
  ])('refuses %s with 401', async (_case, methods) => {
    const response = await authenticate({ auth: { identity: { methods, token: { id: 'x' } } } });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: { code: 401, message: 'Attempted to authenticate with an unsupported method.', title: 'Unauthorized' },
    });
  });
  it.each([
    ['no body', undefined],
    ['no auth', { identity: {} }],
    ['no methods', { auth: { identity: { methods: [] } } }],
    ['no password object', { auth: { identity: { methods: ['password'] } } }],
    ['a user name without domain', passwordAuth({ name: 'admin', password: 'acme-admin-pass' })],
    ['text that is not JSON', 'auth=1'],
    ['the token method without a token', { auth: { identity: { methods: ['token'] } } }],
    ['the token method without a token id', { auth: { identity: { methods: ['token'], token: {} } } }],
  ])('refuses %s with 400 in Keystone shape', async (_case, body) => {
    const response = await authenticate(body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: { code: 400, message: expect.any(String), title: 'Bad Request' } });
  });
});

describe('POST /identity/v3/auth/tokens with the token method', () => {
  const tokenAuth = (id: string, scope?: unknown) => ({
    auth: { identity: { methods: ['token'], token: { id } }, ...(scope === undefined ? {} : { scope }) },
  });
  const passwordLogin = async () =>
    (await authenticate(passwordAuth({ name: 'admin@acme', password: 'acme-admin-pass' }))).headers['x-subject-token']!;

  it.each([
    ['the project by name and domain', { project: { name: 'acme', domain: { name: 'acme' } } }],
    ['the project by id', { project: { id: 'acme' } }],
    ['no scope', undefined],
  ])("scopes a live token again to the tenant's project: %s", async (_case, scope) => {
    const token = await passwordLogin();
    const response = await authenticate(tokenAuth(token, scope));
    expect(response.status).toBe(201);
    expect(response.headers['x-subject-token']).toBe(token);
    expect(response.body.token).toMatchObject({
      methods: ['token', 'password'],
      user: { domain: acme, id: 'admin@acme', name: 'admin@acme', password_expires_at: null },
      project: { domain: acme, ...acme },
      roles: [
        { id: 'member', name: 'member' },
        { id: 'reader', name: 'reader' },
      ],
    });
    const servers = await api('GET', '/compute/v2.1/servers', { headers: nova(response.headers['x-subject-token']!) });
    expect(servers.status).toBe(200);
  });

  it.each([
    ["another tenant's project", { project: { name: 'globex', domain: { name: 'globex' } } }],
    ['a domain scope', { domain: { id: 'acme' } }],
  ])('refuses %s with 401', async (_case, scope) => {
    const response = await authenticate(tokenAuth(await passwordLogin(), scope));
    expect(response.status).toBe(401);
    expect(response.body).toEqual(unauthorized);
    expect(response.headers['x-subject-token']).toBeUndefined();
  });

  it.each([
    ['an unknown token', `acme.${'A'.repeat(16)}.${'A'.repeat(43)}`],
    ['a malformed token', 'gAAAAABnot-ours'],
    ["another tenant's forged token", `globex.${'A'.repeat(16)}.${'A'.repeat(43)}`],
  ])('refuses %s with 401', async (_case, token) => {
    const response = await authenticate(tokenAuth(token));
    expect(response.status).toBe(401);
    expect(response.body).toEqual(unauthorized);
  });

  it('refuses a token that was ended', async () => {
    const token = await passwordLogin();
    expect((await api('DELETE', '/api/session', { headers: { 'vmware-api-session-id': token } })).status).toBe(204);
    const response = await authenticate(tokenAuth(token, { project: { id: 'acme' } }));
    expect(response.status).toBe(401);
    expect(response.body).toEqual(unauthorized);
  });
});

describe('identity version documents', () => {
  const v3 = {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: 'http://api.test/identity/v3/' }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };

  it('GET /identity/v3 is the v3 document', async () => {
    const response = await api('GET', '/identity/v3');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ version: v3 });
  });

  it('GET /identity answers 300 Multiple Choices with the list', async () => {
    const response = await api('GET', '/identity');
    expect(response.status).toBe(300);
    expect(response.body).toEqual({ versions: { values: [v3] } });
  });
});
