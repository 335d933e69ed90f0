import { beforeAll, describe, expect, it } from 'vitest';
import { api, OPERATOR } from '../support/api.js';
import { eventually } from '../support/wait.js';
import { APP_01, DB_01, nova, novaToken, privateTenant, versionHeadersOf, WEB_01 } from '../support/nova.js';

let admin: string;
beforeAll(async () => {
  admin = await novaToken();
});

const links = (id: string) => [
  { rel: 'self', href: `http://api.test/compute/v2.1/servers/${id}` },
  { rel: 'bookmark', href: `http://api.test/compute/servers/${id}` },
];
/** The flavor: a reference before 2.47 (no flavor ids exist here), embedded from 2.47 with the VM's hardware. */
const FLAVOR_REFERENCE = { id: '', links: [] };
const embedded = (vcpus: number, ram: number) => ({ original_name: '', vcpus, ram, disk: 0, ephemeral: 0, swap: 0 });
const TIME = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
/** Nova's hostId for project acme on the demo's ESX host (127.0.0.1): sha224("acme" + "127.0.0.1"). */
const ACME_ESX_01 = 'b9539772bcad87f0a2193df381005053882191944cd752c9d00dbd9f';

/** What Nova returns for every server at 2.1 (views/servers.py: show, as a project member sees it). */
const detail = (id: string, name: string, status: string, vmState: string, powerState: number, flavor: object = FLAVOR_REFERENCE) => ({
  accessIPv4: '',
  accessIPv6: '',
  addresses: {},
  created: TIME,
  flavor,
  hostId: ACME_ESX_01,
  id,
  image: '',
  links: links(id),
  metadata: {},
  name,
  status,
  tenant_id: 'acme',
  user_id: '',
  updated: TIME,
  'OS-DCF:diskConfig': 'MANUAL',
  ...(status === 'ACTIVE' ? { progress: 0 } : {}),
  'OS-EXT-AZ:availability_zone': 'nova',
  config_drive: '',
  key_name: null,
  'OS-SRV-USG:launched_at': null,
  'OS-SRV-USG:terminated_at': null,
  'OS-EXT-STS:vm_state': vmState,
  'OS-EXT-STS:power_state': powerState,
  'OS-EXT-STS:task_state': null,
  'os-extended-volumes:volumes_attached': [],
});

/** The fields later microversions add, up to 2.96 (server_groups only in the single-server view). */
const since296 = (hostname: string, view: 'show' | 'detail') => ({
  locked: false,
  description: null,
  tags: [],
  trusted_image_certificates: null,
  ...(view === 'show' ? { server_groups: [] } : {}),
  locked_reason: null,
  'OS-EXT-SRV-ATTR:hostname': hostname,
  pinned_availability_zone: null,
});

describe('version documents', () => {
  it('GET /compute lists v2.1 without authentication and without version headers', async () => {
    const response = await api('GET', '/compute');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      versions: [
        {
          id: 'v2.1',
          status: 'CURRENT',
          version: '2.96',
          min_version: '2.1',
          updated: '2013-07-23T11:33:21Z',
          links: [{ href: 'http://api.test/compute/v2.1/', rel: 'self' }],
        },
      ],
    });
    expect(response.headers['openstack-api-version']).toBeUndefined();
  });

  it('GET /compute/v2.1 is the v2.1 document, honouring X-Forwarded-Proto', async () => {
    const response = await api('GET', '/compute/v2.1', { headers: { 'x-forwarded-proto': 'https' } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      version: {
        id: 'v2.1',
        status: 'CURRENT',
        version: '2.96',
        min_version: '2.1',
        updated: '2013-07-23T11:33:21Z',
        links: [
          { href: 'https://api.test/compute/v2.1/', rel: 'self' },
          { href: 'http://docs.openstack.org/', rel: 'describedby', type: 'text/html' },
        ],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
      },
    });
    expect(response.headers).toMatchObject(versionHeadersOf('2.1'));
  });
});

describe('GET /compute/v2.1/servers/{server_id}', () => {
  it('shows a server by instance UUID', async () => {
    const response = await api('GET', `/compute/v2.1/servers/${WEB_01}`, { headers: nova(admin, '2.96') });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      server: { ...detail(WEB_01, 'web-01', 'ACTIVE', 'active', 1, embedded(2, 4096)), ...since296('web-01', 'show') },
    });
    expect(response.headers).toMatchObject(versionHeadersOf('2.96'));
  });

  it.each([
    ['2.9', { locked: false }],
    ['2.26', { locked: false, description: null, tags: [] }],
    ['2.73', { locked: false, description: null, tags: [], trusted_image_certificates: null, server_groups: [], locked_reason: null }],
  ])('adds the fields of each microversion up to %s', async (version, added) => {
    const response = await api('GET', `/compute/v2.1/servers/${WEB_01}`, { headers: nova(admin, version) });
    const flavor = version === '2.73' ? embedded(2, 4096) : FLAVOR_REFERENCE;
    expect(response.body).toEqual({ server: { ...detail(WEB_01, 'web-01', 'ACTIVE', 'active', 1, flavor), ...added } });
  });

  it('keeps created when the operator replaces the record and moves updated', async () => {
    const { tenant, token, serverId } = await privateTenant();
    const before = (await api('GET', `/compute/v2.1/servers/${serverId}`, { headers: nova(token) })).body.server;
    const record = (await api('GET', `/operator/v1/tenants/${tenant}/vms/vm-1`, { headers: OPERATOR })).body;
    const { tenantId: _tenant, moId: _moId, createdAt: _created, updatedAt: _updated, ...spec } = record;
    // Nova's times have whole seconds: replace the record until its update shows as a later time.
    const after = await eventually(
      async () => {
        await api('PUT', `/operator/v1/tenants/${tenant}/vms/vm-1`, { headers: OPERATOR, body: { ...spec, powerState: 'poweredOff' } });
        const server = (await api('GET', `/compute/v2.1/servers/${serverId}`, { headers: nova(token) })).body.server;
        return server.updated !== before.updated && server;
      },
      'a later updated time',
      { intervalMs: 200 },
    );
    expect(after).toMatchObject({ created: before.created, status: 'SHUTOFF' });
    expect(before.created).toBe(record.createdAt.replace(/\.\d+Z$/, 'Z'));
  });

  it('shows a powered-off server as SHUTOFF', async () => {
    const response = await api('GET', `/compute/v2.1/servers/${DB_01}`, { headers: nova(admin) });
    expect(response.body).toEqual({ server: detail(DB_01, 'db-01', 'SHUTOFF', 'stopped', 4, FLAVOR_REFERENCE) });
  });

  it.each([
    ['a name (what openstacksdk tries first)', 'web-01'],
    ["another tenant's server", APP_01],
  ])('answers 404 for %s', async (_case, id) => {
    const response = await api('GET', `/compute/v2.1/servers/${id}`, { headers: nova(admin) });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
  });
});

describe('GET /compute/v2.1/servers and /servers/detail', () => {
  it("lists the tenant's servers only", async () => {
    const response = await api('GET', '/compute/v2.1/servers', { headers: nova(admin) });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      servers: [
        { id: WEB_01, links: links(WEB_01), name: 'web-01' },
        { id: DB_01, links: links(DB_01), name: 'db-01' },
        { id: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9103', links: links('4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9103'), name: 'win-01' },
      ],
    });
  });

  it('filters by name, as novaclient and openstacksdk find a server by name', async () => {
    const summary = await api('GET', '/compute/v2.1/servers?name=web-01', { headers: nova(admin) });
    expect(summary.body).toEqual({ servers: [{ id: WEB_01, links: links(WEB_01), name: 'web-01' }] });
    const detailed = await api('GET', '/compute/v2.1/servers/detail?name=web-01&all_tenants=False', { headers: nova(admin, '2.96') });
    expect(detailed.status).toBe(200);
    expect(detailed.body).toEqual({
      servers: [{ ...detail(WEB_01, 'web-01', 'ACTIVE', 'active', 1, embedded(2, 4096)), ...since296('web-01', 'detail') }],
    });
    const none = await api('GET', '/compute/v2.1/servers/detail?name=app-01', { headers: nova(admin) });
    expect(none.body).toEqual({ servers: [] });
  });

  it('answers 401 without a token', async () => {
    const response = await api('GET', '/compute/v2.1/servers/detail');
    expect(response.status).toBe(401);
  });
});
