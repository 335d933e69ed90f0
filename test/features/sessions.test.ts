import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { advanceClock, nowSeconds, resetClock } from '../../lib/core/clock.js';
import { client } from '../../lib/store/client.js';
import { sha256Hex } from '../../lib/protocol/secrets.js';
import { keys } from '../../lib/store/keys.js';
import { scanTable } from '../support/table.js';
import { api, basic, loginVcenter, session } from '../support/api.js';

afterEach(() => resetClock());

const unauthenticatedApi = {
  error_type: 'UNAUTHENTICATED',
  messages: [{ args: [], default_message: expect.any(String), id: 'com.vmware.vapi.std.errors.unauthenticated' }],
};

describe('POST /api/session', () => {
  it('answers 201 with the session id as a JSON string', async () => {
    const response = await api('POST', '/api/session', { headers: basic('admin@acme', 'acme-admin-pass') });
    expect(response.status).toBe(201);
    expect(response.body).toMatch(/^acme\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ['a wrong password', basic('admin@acme', 'nope-nope-nope')],
    ['an unknown user', basic('ghost@acme', 'acme-admin-pass')],
    ['an unknown tenant', basic('admin@nowhere', 'acme-admin-pass')],
    ['a user name without a tenant', basic('admin', 'acme-admin-pass')],
  ])('refuses %s with 401 unauthenticated', async (_case, headers) => {
    const response = await api('POST', '/api/session', { headers });
    expect(response.status).toBe(401);
    expect(response.body).toEqual(unauthenticatedApi);
  });

  it('refuses a missing or malformed Authorization header with 400 invalid_argument', async () => {
    for (const headers of [{}, { authorization: "Bearer xyz" }, { authorization: "Basic !!!" }] as Record<string, string>[]) {
      const response = await api('POST', '/api/session', { headers });
      expect(response.status).toBe(400);
      expect(response.body.error_type).toBe('INVALID_ARGUMENT');
    }
  });

  it('stores only a hash of the session id', async () => {
    const sessionId = await loginVcenter();
    const secretPart = sessionId.split('.').at(-1)!;
    const Items = await scanTable();
    expect(JSON.stringify(Items)).not.toContain(secretPart);
  });
});

describe('GET /api/session', () => {
  it('describes the session', async () => {
    const sessionId = await loginVcenter();
    const response = await api('GET', '/api/session', { headers: session(sessionId) });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      user: 'admin@acme',
      created_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      last_accessed_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it.each([
    ['no session header', {}],
    ['a malformed session id', session('not-a-session')],
    ['a forged session id', session(`acme.${'A'.repeat(16)}.${'A'.repeat(43)}`)],
    ['a session id with another tenant prefix', session(`globex.${'B'.repeat(16)}.${'B'.repeat(43)}`)],
    ['a session id of the format before the per-user layout (<tenant>.<secret>)', session(`acme.${'C'.repeat(43)}`)],
  ])('refuses %s with 401', async (_case, headers) => {
    const response = await api('GET', '/api/session', { headers });
    expect(response.status).toBe(401);
    expect(response.body).toEqual(unauthenticatedApi);
  });

  it('refuses a session whose tenant prefix was swapped for another tenant', async () => {
    const sessionId = await loginVcenter();
    const swapped = sessionId.replace(/^acme\./, 'globex.');
    expect((await api('GET', '/api/session', { headers: session(swapped) })).status).toBe(401);
  });

  it('refuses a session whose user part was swapped for another user of the same tenant', async () => {
    const sessionId = await loginVcenter();
    const [tenantId, , secret] = sessionId.split('.');
    const viewerKey = keys.userPartition('acme', 'viewer@acme').split('#').at(-1);
    expect((await api('GET', '/api/session', { headers: session(`${tenantId}.${viewerKey}.${secret}`) })).status).toBe(401);
    expect((await api('GET', '/api/session', { headers: session(sessionId) })).status).toBe(200);
  });

  it('refuses the old form of a live session id (<tenant>.<secret>): a deploy of this layout ends sessions', async () => {
    const [tenantId, , secret] = (await loginVcenter()).split('.');
    expect((await api('GET', '/api/session', { headers: session(`${tenantId}.${secret}`) })).status).toBe(401);
  });
});

describe('session expiry', () => {
  it('refuses a session idle for 30 minutes even though DynamoDB has not swept it yet', async () => {
    const sessionId = await loginVcenter();
    advanceClock(30 * 60 * 1000 + 1000);
    const response = await api('GET', '/api/session', { headers: session(sessionId) });
    expect(response.status).toBe(401);
    // This session's item is still in the table (TTL sweeps lazily), past its expiry: only the read-side
    // check refused it.
    const [tenantId, userKey, secret] = sessionId.split('.') as [string, string, string];
    const { Item } = await client().send(
      new GetCommand({ TableName: process.env.TABLE_NAME, Key: keys.session(tenantId, userKey, sha256Hex(secret)) }),
    );
    expect(Item).toBeDefined();
    expect(Item!.expiresAt).toBeLessThanOrEqual(nowSeconds());
  });

  it('keeps a session alive while it is used, refreshing the idle deadline past half-time', async () => {
    const sessionId = await loginVcenter();
    for (let step = 0; step < 4; step += 1) {
      advanceClock(20 * 60 * 1000);
      const response = await api('GET', '/api/session', { headers: session(sessionId) });
      expect(response.status).toBe(200);
    }
  });

  it('writes the refresh only when less than half of the idle window remains', async () => {
    const sessionId = await loginVcenter();
    const [tenantId, userKey, secret] = sessionId.split('.') as [string, string, string];
    const read = async () =>
      (await client().send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: keys.session(tenantId, userKey, sha256Hex(secret)) }))).Item!;
    const issued = await read();
    advanceClock(5 * 60 * 1000);
    await api('GET', '/api/session', { headers: session(sessionId) });
    expect((await read()).expiresAt).toBe(issued.expiresAt);
    advanceClock(12 * 60 * 1000);
    await api('GET', '/api/session', { headers: session(sessionId) });
    expect((await read()).expiresAt).toBeGreaterThan(issued.expiresAt);
  });
});

describe('logout', () => {
  it('DELETE /api/session ends the session (204), after which it is refused', async () => {
    const sessionId = await loginVcenter();
    const response = await api('DELETE', '/api/session', { headers: session(sessionId) });
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect((await api('GET', '/api/session', { headers: session(sessionId) })).status).toBe(401);
    expect((await api('DELETE', '/api/session', { headers: session(sessionId) })).status).toBe(401);
  });

  it('the /rest form logs in with {"value": id} and out with 200', async () => {
    const login = await api('POST', '/rest/com/vmware/cis/session', { headers: basic('viewer@acme', 'acme-viewer-pass') });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ value: expect.stringMatching(/^acme\./) });
    const logout = await api('DELETE', '/rest/com/vmware/cis/session', { headers: session(login.body.value) });
    expect(logout.status).toBe(200);
    const again = await api('DELETE', '/rest/com/vmware/cis/session', { headers: session(login.body.value) });
    expect(again.status).toBe(401);
    expect(again.body).toEqual({
      type: 'com.vmware.vapi.std.errors.unauthenticated',
      value: { messages: [{ args: [], default_message: expect.any(String), id: 'com.vmware.vapi.std.errors.unauthenticated' }] },
    });
  });

  it('/rest describes the session with ?~action=get', async () => {
    const sessionId = await loginVcenter();
    const response = await api('POST', '/rest/com/vmware/cis/session?~action=get', { headers: session(sessionId) });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      value: { user: 'admin@acme', created_time: expect.any(String), last_accessed_time: expect.any(String) },
    });
    const refused = await api('POST', '/rest/com/vmware/cis/session?~action=get', { headers: session('acme.bogus') });
    expect(refused.status).toBe(401);
  });

  it('/rest refuses bad credentials in the /rest error shape', async () => {
    const response = await api('POST', '/rest/com/vmware/cis/session', { headers: basic('admin@acme', 'wrong-password') });
    expect(response.status).toBe(401);
    expect(response.body.type).toBe('com.vmware.vapi.std.errors.unauthenticated');
  });
});

describe('vim25 SessionManager', () => {
  const loginPath = '/sdk/vim25/8.0.3.0/SessionManager/SessionManager/Login';

  it('Login answers a UserSession and the vmware-api-session-id header; Logout ends it', async () => {
    const response = await api('POST', loginPath, { body: { userName: 'admin@acme', password: 'acme-admin-pass' } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      _typeName: 'UserSession',
      key: expect.stringMatching(/^[0-9a-f]{8}$/),
      userName: 'admin@acme',
      fullName: 'admin@acme',
      loginTime: expect.any(String),
      lastActiveTime: expect.any(String),
      locale: 'en',
      messageLocale: 'en',
      extensionSession: false,
      ipAddress: '127.0.0.1',
      userAgent: 'vitest',
      callCount: 0,
    });
    const sessionId = response.headers['vmware-api-session-id']!;
    expect(sessionId).toMatch(/^acme\./);
    // A vim25 session is a session like any other.
    expect((await api('GET', '/api/session', { headers: session(sessionId) })).status).toBe(200);
    const logout = await api('POST', '/sdk/vim25/8.0.3.0/SessionManager/SessionManager/Logout', { headers: session(sessionId) });
    expect(logout.status).toBe(204);
    expect((await api('GET', '/api/session', { headers: session(sessionId) })).status).toBe(401);
  });

  it('answers in the locale the login asked for', async () => {
    const body = { userName: 'admin@acme', password: 'acme-admin-pass', locale: 'de' };
    const response = await api('POST', loginPath, { body });
    expect(response.body).toMatchObject({ locale: 'de', messageLocale: 'de' });
  });

  it('refuses a wrong password with an InvalidLogin fault', async () => {
    const response = await api('POST', loginPath, { body: { userName: 'admin@acme', password: 'wrong' } });
    expect(response.status).toBe(500);
    // As vCenter sends it (govmomi's json_client_test.go): an unset faultMessage is left out, not [].
    expect(response.body).toEqual({
      _typeName: 'InvalidLogin',
      faultstring: 'Cannot complete login due to an incorrect user name or password.',
    });
  });

  it('refuses a malformed body with an InvalidArgument fault', async () => {
    const response = await api('POST', loginPath, { body: '{"userName":' });
    expect(response.status).toBe(500);
    expect(response.body._typeName).toBe('InvalidArgument');
  });
});
