import { beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/api.js';
import { APP_01, DB_01, nova, novaToken, versionHeadersOf, WEB_01 } from './nova-support.js';

let admin: string;
beforeAll(async () => {
  admin = await novaToken();
});

const links = (id: string) => [
  { rel: 'self', href: `http://api.test/compute/v2.1/servers/${id}` },
  { rel: 'bookmark', href: `http://api.test/compute/servers/${id}` },
];
/** The flavor the inventory does not know: a reference before 2.47, embedded from 2.47 (clients read either). */
const FLAVOR_REFERENCE = { id: '', links: [] };
const FLAVOR_EMBEDDED = { original_name: '', vcpus: 0, ram: 0, disk: 0, ephemeral: 0, swap: 0 };
const detail = (id: string, name: string, status: string, vmState: string, powerState: number, flavor: object = FLAVOR_EMBEDDED) => ({
  id,
  name,
  status,
  tenant_id: 'acme',
  updated: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
  image: '',
  flavor,
  addresses: {},
  metadata: {},
  links: links(id),
  'OS-EXT-STS:vm_state': vmState,
  'OS-EXT-STS:power_state': powerState,
  'OS-EXT-STS:task_state': null,
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
    expect(response.body).toEqual({ server: detail(WEB_01, 'web-01', 'ACTIVE', 'active', 1) });
    expect(response.headers).toMatchObject(versionHeadersOf('2.96'));
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
    expect(detailed.body).toEqual({ servers: [detail(WEB_01, 'web-01', 'ACTIVE', 'active', 1)] });
    const none = await api('GET', '/compute/v2.1/servers/detail?name=app-01', { headers: nova(admin) });
    expect(none.body).toEqual({ servers: [] });
  });

  it('answers 401 without a token', async () => {
    const response = await api('GET', '/compute/v2.1/servers/detail');
    expect(response.status).toBe(401);
  });
});
