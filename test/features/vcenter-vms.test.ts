import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { advanceClock, resetClock } from '../../lib/core/clock.js';
import { privateTenant } from '../support/nova.js';
import { api, loginVcenter, OPERATOR, session } from '../support/api.js';

const WEB_01 = { vm: 'vm-101', name: 'web-01', power_state: 'POWERED_ON', cpu_count: 2, memory_size_MiB: 4096 };
const DB_01 = { vm: 'vm-102', name: 'db-01', power_state: 'POWERED_OFF', cpu_count: 4, memory_size_MiB: 16384 };
const WIN_01 = { vm: 'vm-103', name: 'win-01', power_state: 'POWERED_ON', cpu_count: 2, memory_size_MiB: 8192 };

const vapi = (type: string, message: string) => [{ args: [], default_message: message, id: `com.vmware.vapi.std.errors.${type}` }];
const apiError = (type: string, message: string) => ({ error_type: type.toUpperCase(), messages: vapi(type, message) });
const restError = (type: string, message: string) => ({ type: `com.vmware.vapi.std.errors.${type}`, value: { messages: vapi(type, message) } });

let admin: string;
beforeAll(async () => {
  admin = await loginVcenter();
});
afterEach(() => resetClock());

const get = (path: string, sessionId = admin) => api('GET', path, { headers: session(sessionId) });

describe('GET /api/vcenter/vm and /rest/vcenter/vm', () => {
  it("lists the tenant's VMs only, as Summary items", async () => {
    const response = await get('/api/vcenter/vm');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toEqual([WEB_01, DB_01, WIN_01]);
    const rest = await get('/rest/vcenter/vm');
    expect(rest.status).toBe(200);
    expect(rest.body).toEqual({ value: [WEB_01, DB_01, WIN_01] });
  });

  it('lists them for a user without any VM privilege (System.Read)', async () => {
    const viewer = await loginVcenter('viewer@acme', 'acme-viewer-pass');
    expect((await get('/api/vcenter/vm', viewer)).body).toEqual([WEB_01, DB_01, WIN_01]);
  });

  it.each([
    ['one name', '/api/vcenter/vm?names=web-01', [WEB_01]],
    ['a repeated name key', '/api/vcenter/vm?names=web-01&names=win-01', [WEB_01, WIN_01]],
    ["another tenant's name", '/api/vcenter/vm?names=app-01', []],
    ['vms', '/api/vcenter/vm?vms=vm-102&vms=vm-201', [DB_01]],
    ['power_states', '/api/vcenter/vm?power_states=POWERED_OFF&power_states=SUSPENDED', [DB_01]],
    ['names and power_states together', '/api/vcenter/vm?names=web-01&names=db-01&power_states=POWERED_ON', [WEB_01]],
    ['a folder (no VM is in one)', '/api/vcenter/vm?folders=group-v3', []],
    ['an unknown parameter (ignored)', '/api/vcenter/vm?names=db-01&limit=5', [DB_01]],
  ])('/api filters by %s', async (_case, path, expected) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(expected);
  });

  it.each([
    ['filter.names', '/rest/vcenter/vm?filter.names=web-01', [WEB_01]],
    ['numbered filter.names', '/rest/vcenter/vm?filter.names.1=web-01&filter.names.2=db-01', [WEB_01, DB_01]],
    ['filter.vms', '/rest/vcenter/vm?filter.vms=vm-103', [WIN_01]],
    ['filter.power_states', '/rest/vcenter/vm?filter.power_states=POWERED_ON', [WEB_01, WIN_01]],
    ['filter.hosts (no such object)', '/rest/vcenter/vm?filter.hosts=host-9', []],
    ['a bare names (not a /rest filter)', '/rest/vcenter/vm?names=web-01', [WEB_01, DB_01, WIN_01]],
  ])('/rest filters by %s', async (_case, path, expected) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ value: expected });
  });

  it('matches names exactly, commas included (the raw query string, not the comma-joined parameters)', async () => {
    const { tenant, token } = await privateTenant();
    const record = (await api('GET', `/operator/v1/tenants/${tenant}/vms/vm-1`, { headers: OPERATOR })).body;
    const { tenantId: _t, moId: _m, createdAt: _c, updatedAt: _u, ...spec } = record;
    const put = await api('PUT', `/operator/v1/tenants/${tenant}/vms/vm-2`, {
      headers: OPERATOR,
      body: { ...spec, instanceUuid: '0b7e2d6a-6c1f-4a8e-9d55-2f7a3c9e0a08', name: 'a,b' },
    });
    expect(put.status).toBe(200);
    const names = (path: string) => get(path, token).then((response) => response.body.map((vm: { name: string }) => vm.name));
    expect(await names('/api/vcenter/vm?names=a%2Cb')).toEqual(['a,b']);
    expect(await names('/api/vcenter/vm?names=a&names=b')).toEqual([]);
    expect(await names('/api/vcenter/vm?names=legacy-01&names=a%2Cb')).toEqual(['legacy-01', 'a,b']);
  });

  it('refuses an unknown power state in each shape', async () => {
    const message = "Invalid value for power_states: expected one of POWERED_ON, POWERED_OFF, SUSPENDED, received 'ON'.";
    const response = await get('/api/vcenter/vm?power_states=ON');
    expect(response.status).toBe(400);
    expect(response.body).toEqual(apiError('invalid_argument', message));
    const rest = await get('/rest/vcenter/vm?filter.power_states=ON');
    expect(rest.status).toBe(400);
    expect(rest.body).toEqual(restError('invalid_argument', message.replace('power_states', 'filter.power_states')));
  });

  it('refuses more than 200 names (one index query each) in each shape', async () => {
    const names = Array.from({ length: 201 }, (_, index) => `vm-name-${index}`);
    const response = await get(`/api/vcenter/vm?${names.map((name) => `names=${name}`).join('&')}`);
    expect(response.status).toBe(400);
    expect(response.body).toEqual(apiError('invalid_argument', 'At most 200 names may be given.'));
    const rest = await get(`/rest/vcenter/vm?${names.map((name, index) => `filter.names.${index + 1}=${name}`).join('&')}`);
    expect(rest.status).toBe(400);
    expect(rest.body).toEqual(restError('invalid_argument', 'At most 200 names may be given.'));
    expect((await get(`/api/vcenter/vm?${names.slice(0, 200).map((name) => `names=${name}`).join('&')}`)).body).toEqual([]);
  });

  it('answers 401 without a session in each shape', async () => {
    const response = await api('GET', '/api/vcenter/vm');
    expect(response.status).toBe(401);
    expect(response.body).toEqual(apiError('unauthenticated', 'Authentication required.'));
    const rest = await api('GET', '/rest/vcenter/vm');
    expect(rest.status).toBe(401);
    expect(rest.body).toEqual(restError('unauthenticated', 'Authentication required.'));
  });
});

describe('GET /api/vcenter/vm/{vm}', () => {
  const WEB_01_INFO = {
    name: 'web-01',
    power_state: 'POWERED_ON',
    guest_OS: 'OTHER_LINUX_64',
    identity: { name: 'web-01', instance_uuid: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101' },
    cpu: { count: 2 },
    memory: { size_MiB: 4096 },
  };

  it('answers the VM Info in each shape', async () => {
    const response = await get('/api/vcenter/vm/vm-101');
    expect(response.status).toBe(200);
    // The inventory records no NICs or disks: empty maps, an object in /api and a {key, value} list in /rest.
    expect(response.body).toEqual({ ...WEB_01_INFO, nics: {}, disks: {} });
    expect((await get('/rest/vcenter/vm/vm-101')).body).toEqual({ value: { ...WEB_01_INFO, nics: [], disks: [] } });
    expect((await get('/api/vcenter/vm/vm-103')).body).toMatchObject({ name: 'win-01', guest_OS: 'WINDOWS_9_64' });
  });

  it.each([
    ['a VM that does not exist', 'vm-999'],
    ["another tenant's VM", 'vm-201'],
    ['an id that is not a managed object id', 'vm 1'],
  ])('answers not_found for %s, in each shape', async (_case, moId) => {
    const message = `Virtual machine ${moId} was not found.`;
    for (const path of ['', '/power', '/tools']) {
      const response = await get(`/api/vcenter/vm/${encodeURIComponent(moId)}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.body, path).toEqual(apiError('not_found', message));
      const rest = await get(`/rest/vcenter/vm/${encodeURIComponent(moId)}${path}`);
      expect(rest.status, path).toBe(404);
      expect(rest.body, path).toEqual(restError('not_found', message));
    }
  });
});

describe('GET /api/vcenter/vm/{vm}/power', () => {
  it.each([
    ['vm-101', 'POWERED_ON'],
    ['vm-102', 'POWERED_OFF'],
  ])('answers the power state of %s', async (moId, state) => {
    const response = await get(`/api/vcenter/vm/${moId}/power`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ state });
    expect((await get(`/rest/vcenter/vm/${moId}/power`)).body).toEqual({ value: { state } });
  });

  it('answers resource_inaccessible for a disconnected VM', async () => {
    const { tenant, token } = await privateTenant();
    const record = (await api('GET', `/operator/v1/tenants/${tenant}/vms/vm-1`, { headers: OPERATOR })).body;
    const { tenantId: _t, moId: _m, createdAt: _c, updatedAt: _u, ...spec } = record;
    await api('PUT', `/operator/v1/tenants/${tenant}/vms/vm-1`, { headers: OPERATOR, body: { ...spec, connectionState: 'disconnected' } });
    const response = await get('/api/vcenter/vm/vm-1/power', token);
    expect(response.status).toBe(500);
    expect(response.body).toEqual(apiError('resource_inaccessible', "The virtual machine's configuration or execution state cannot be accessed."));
  });
});

describe('GET /api/vcenter/vm/{vm}/tools', () => {
  it('answers NOT_RUNNING until the guest agent registers, RUNNING while it heartbeats, NOT_RUNNING once it is stale', async () => {
    const { tenant, token } = await privateTenant();
    const tools = async () => {
      const response = await get('/api/vcenter/vm/vm-1/tools', token);
      expect(response.status).toBe(200);
      return response.body;
    };
    expect(await tools()).toEqual({ auto_update_supported: false, upgrade_policy: 'MANUAL', run_state: 'NOT_RUNNING' });

    const { credential } = (await api('POST', `/operator/v1/tenants/${tenant}/vms/vm-1/agent-credentials`, { headers: OPERATOR })).body;
    const agent = { authorization: `Bearer ${credential}` };
    const publicKey = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect((await api('PUT', '/agent/v1/registration', { headers: agent, body: { publicKey, agentVersion: '1.2.3' } })).status).toBe(200);
    const running = { auto_update_supported: false, upgrade_policy: 'MANUAL', run_state: 'RUNNING', version: '1.2.3', version_number: 1091 };
    expect(await tools()).toEqual(running);
    expect((await get('/rest/vcenter/vm/vm-1/tools', token)).body).toEqual({ value: running });

    advanceClock(31_000);
    expect(await tools()).toEqual({ ...running, run_state: 'NOT_RUNNING' });
    expect((await api('POST', '/agent/v1/heartbeats', { headers: agent })).status).toBeLessThan(300);
    expect(await tools()).toEqual(running);
    // An upgraded agent says its new version in its heartbeat; a version not of VMware's form has no number.
    expect((await api('POST', '/agent/v1/heartbeats', { headers: agent, body: { agentVersion: '1.3.0' } })).status).toBe(204);
    expect(await tools()).toEqual({ ...running, version: '1.3.0', version_number: 1120 });
    expect((await api('POST', '/agent/v1/heartbeats', { headers: agent, body: { agentVersion: '2.0.0-rc.1' } })).status).toBe(204);
    const { version_number: _number, ...unnumbered } = running;
    expect(await tools()).toEqual({ ...unnumbered, version: '2.0.0-rc.1' });
  });

  it('answers NOT_RUNNING for a powered-off VM', async () => {
    const response = await get('/api/vcenter/vm/vm-102/tools');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ auto_update_supported: false, upgrade_policy: 'MANUAL', run_state: 'NOT_RUNNING' });
  });
});

describe('GET /api/appliance/networking/interfaces and /rest/appliance/networking/interfaces', () => {
  it('answers the empty list (this service records no appliance interfaces) to any session of any tenant', async () => {
    const globex = await loginVcenter('admin@globex', 'globex-admin-pass');
    const viewer = await loginVcenter('viewer@acme', 'acme-viewer-pass');
    for (const sessionId of [admin, viewer, globex]) {
      const response = await get('/api/appliance/networking/interfaces', sessionId);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.text).toBe('[]');
      const rest = await get('/rest/appliance/networking/interfaces', sessionId);
      expect(rest.status).toBe(200);
      expect(rest.text).toBe('{"value":[]}');
    }
  });

  it('answers 401 without a session, or with a dead one, in each shape', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'Authentication required.'],
      [session(`acme.${'D'.repeat(16)}.${'D'.repeat(43)}`), 'The session is missing, expired or ended.'],
    ];
    for (const [headers, message] of cases) {
      const response = await api('GET', '/api/appliance/networking/interfaces', { headers });
      expect(response.status).toBe(401);
      expect(response.body).toEqual(apiError('unauthenticated', message));
      const rest = await api('GET', '/rest/appliance/networking/interfaces', { headers });
      expect(rest.status).toBe(401);
      expect(rest.body).toEqual(restError('unauthenticated', message));
    }
  });
});
