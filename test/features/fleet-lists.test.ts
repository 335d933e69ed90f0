/**
 * Lists and lookups of a tenant with thousands of VMs, through real API Gateway events into the handlers
 * against the local DynamoDB: find-by-name reads one index partition whatever the tenant's size, every list
 * is a bounded page in its dialect's own way, and walking the pages yields every item exactly once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as Inventory from '../../lib/core/inventory.js';
import { countRoundTrips } from '../support/store-instrumentation.js';
import { nova, privateTenant, WEB_01 } from '../support/nova.js';
import { api, loginVcenter, OPERATOR, routes, session } from '../support/api.js';
import { fleetMoId, seedFleet, type Fleet } from '../support/fleet.js';
import { expectAllowedByIam } from '../support/iam.js';

const VMS = 4_100;
const USERS = 250;
/** Two VMs share a name; three carry brackets, which only a regular expression would treat specially. */
const TWINS = [6, 3332];
const BRACKETED = [99, 2000, 4099];
const nameOf = (index: number) =>
  TWINS.includes(index) ? 'twin' : BRACKETED.includes(index) ? `batch[7]-node-${index}` : undefined;

let fleet: Fleet;
let token: string;
beforeAll(async () => {
  fleet = await seedFleet({ prefix: 'fleet', vmCount: VMS, userCount: USERS, nameOf });
  token = await loginVcenter(fleet.admin, fleet.password);
});

const functionOf = (method: string, path: string) => routes.find((route) => route.method === method && route.path === path)!.functionName;
/** A request, the DynamoDB actions and capacity units it cost. */
const measured = (method: string, target: string, headers: Record<string, string>) =>
  countRoundTrips(() => api(method, target, { headers }), { capacity: true });
const novaGet = (target: string, version?: string) => api('GET', target, { headers: nova(token, version) });
const pathOf = (href: string) => {
  const url = new URL(href);
  return `${url.pathname}${url.search}`;
};
const uuidOf = (moId: string) => fleet.vms.find((vm) => vm.moId === moId)!.instanceUuid;

describe('Nova find-by-name', () => {
  it.each([
    ['an exact name', 'srv-2345'],
    ['an anchored name (^name$)', '^srv-2345$'],
  ])('answers %s from one gsi2 query, at the cost of one small index read', async (_case, name) => {
    const target = `/compute/v2.1/servers?name=${encodeURIComponent(name)}`;
    const { result: response, live, capacityUnits } = await measured('GET', target, nova(token));
    expect(response.status).toBe(200);
    const id = uuidOf(fleetMoId(2344));
    expect(response.body).toEqual({
      servers: [
        {
          id,
          links: [
            { rel: 'self', href: `http://api.test/compute/v2.1/servers/${id}` },
            { rel: 'bookmark', href: `http://api.test/compute/servers/${id}` },
          ],
          name: 'srv-2345',
        },
      ],
    });
    // The session with its tenant's profile (one BatchGetItem) and the name: nothing of the tenant's 4,100 VMs is read.
    expect([...live.actions].sort()).toEqual(['BatchGetItem', 'Query@index']);
    expect(live.operations).toBe(2);
    // 2 units authenticate (the session and its tenant's deletion mark, strongly consistent); half a unit finds.
    expect(capacityUnits).toBeLessThanOrEqual(2.5);
    expectAllowedByIam(functionOf('GET', '/compute/v2.1/servers'), live.actions);

    const lookup = await countRoundTrips(() => Inventory.listServers(fleet.tenant, { limit: 1000, name: { exact: 'srv-2345' } }), {
      capacity: true,
    });
    expect(lookup.roundTrips).toBe(1);
    expect(lookup.live.actions).toEqual(new Set(['Query@index']));
    expect(lookup.capacityUnits).toBeLessThanOrEqual(1);
  });

  it('costs the same in a tenant of one VM as in one of 4,100', async () => {
    const small = await privateTenant();
    const cost = async (tenantId: string, name: string) => {
      const lookup = () => Inventory.listServers(tenantId, { limit: 1000, name: { exact: name } });
      return (await countRoundTrips(lookup, { capacity: true })).capacityUnits;
    };
    expect(await cost(fleet.tenant, 'srv-17')).toBe(await cost(small.tenant, 'legacy-01'));
  });

  it('returns every server of a duplicated name, in the detail view too, from one query', async () => {
    const { result: response, live } = await measured('GET', '/compute/v2.1/servers/detail?name=twin', nova(token, '2.96'));
    expect(response.status).toBe(200);
    expect(response.body.servers.map((server: { id: string; name: string }) => [server.name, server.id])).toEqual([
      ['twin', uuidOf(fleetMoId(6))],
      ['twin', uuidOf(fleetMoId(3332))],
    ]);
    expect(response.body.servers_links).toBeUndefined();
    expect([...live.actions].sort()).toEqual(['BatchGetItem', 'Query@index']);
    expectAllowedByIam(functionOf('GET', '/compute/v2.1/servers/detail'), live.actions);
  });

  it('pages a duplicated name with limit and marker like any list', async () => {
    const first = await novaGet('/compute/v2.1/servers?name=twin&limit=1');
    expect(first.body.servers.map((server: { name: string }) => server.name)).toEqual(['twin']);
    const twin1 = uuidOf(fleetMoId(6));
    expect(first.body.servers_links).toEqual([
      { rel: 'next', href: `http://api.test/compute/v2.1/servers?limit=1&name=twin&marker=${twin1}` },
    ]);
    const second = await novaGet(pathOf(first.body.servers_links[0].href));
    expect(second.body.servers.map((server: { id: string }) => server.id)).toEqual([uuidOf(fleetMoId(3332))]);
    const third = await novaGet(pathOf(second.body.servers_links[0].href));
    expect(third.body).toEqual({ servers: [] });
  });

  it('shows a server by instance UUID from one gsi1 query of one item, whatever the tenant size', async () => {
    const id = uuidOf(fleetMoId(4000));
    const { result: response, live, capacityUnits } = await measured('GET', `/compute/v2.1/servers/${id}`, nova(token));
    expect(response.status).toBe(200);
    expect(response.body.server).toMatchObject({ id, name: 'srv-4001' });
    expect([...live.actions].sort()).toEqual(['BatchGetItem', 'Query@index']);
    expect(live.operations).toBe(2);
    // 2 units authenticate (the session and its tenant's deletion mark, strongly consistent); half a unit finds.
    expect(capacityUnits).toBeLessThanOrEqual(2.5);
    expectAllowedByIam(functionOf('GET', '/compute/v2.1/servers/{server_id}'), live.actions);
  });

  it('finds nothing of another tenant by name', async () => {
    const response = await novaGet('/compute/v2.1/servers?name=web-01');
    expect(response.body).toEqual({ servers: [] });
  });

  it('matches a pattern with regular-expression syntax as a literal substring, reading at most one page of VMs per request', async () => {
    const found: string[] = [];
    let target: string | undefined = '/compute/v2.1/servers?name=%5B7%5D';
    let pages = 0;
    while (target) {
      const { result: response, live, capacityUnits } = await measured('GET', target, nova(token));
      expect(response.status).toBe(200);
      // A strongly consistent read of at most 1,000 VM items of under 1 KB each: well under 1,000 units.
      expect(capacityUnits).toBeLessThan(300);
      expect(live.operations).toBeLessThanOrEqual(5);
      expectAllowedByIam(functionOf('GET', '/compute/v2.1/servers'), live.actions);
      found.push(...response.body.servers.map((server: { name: string }) => server.name));
      target = response.body.servers_links ? pathOf(response.body.servers_links[0].href) : undefined;
      pages += 1;
    }
    expect(pages).toBe(5);
    expect(found).toEqual(BRACKETED.map((index) => `batch[7]-node-${index}`));
  });
});

describe('Nova GET /servers and /servers/detail pages', () => {
  it.each([
    ['/compute/v2.1/servers', 'servers'],
    ['/compute/v2.1/servers/detail', 'servers/detail'],
  ])('%s: 1,000 servers a page by default (max_limit), servers_links to the next, every server exactly once', async (path, collection) => {
    const seen: string[] = [];
    let target: string | undefined = path;
    let pages = 0;
    while (target) {
      const response = await novaGet(target);
      expect(response.status).toBe(200);
      const ids = response.body.servers.map((server: { id: string }) => server.id);
      expect(ids.length).toBeLessThanOrEqual(1000);
      if (ids.length === 1000) {
        expect(response.body.servers_links).toEqual([
          { rel: 'next', href: `http://api.test/compute/v2.1/${collection}?marker=${ids.at(-1)}` },
        ]);
      } else {
        expect(response.body.servers_links).toBeUndefined();
      }
      seen.push(...ids);
      target = response.body.servers_links ? pathOf(response.body.servers_links[0].href) : undefined;
      pages += 1;
    }
    expect(pages).toBe(5);
    expect(seen).toEqual(fleet.vms.map((vm) => vm.instanceUuid));
  });

  it('keeps the other query parameters in the next link, sorted, the marker added last (as Python\'s dict orders it)', async () => {
    const response = await novaGet('/compute/v2.1/servers?sort_key=display_name&limit=2&all_tenants=False');
    expect(response.body.servers.map((server: { name: string }) => server.name)).toEqual(['srv-1', 'srv-2']);
    expect(response.body.servers_links).toEqual([
      {
        rel: 'next',
        href: `http://api.test/compute/v2.1/servers?all_tenants=False&limit=2&sort_key=display_name&marker=${uuidOf(fleetMoId(1))}`,
      },
    ]);
  });

  it('walks a limit of 700 over /servers/detail with one session and one query a page (two with the marker)', async () => {
    let target: string | undefined = '/compute/v2.1/servers/detail?limit=700';
    const seen: string[] = [];
    while (target) {
      const { result: response, live } = await measured('GET', target, nova(token));
      expect(response.body.servers.length).toBeLessThanOrEqual(700);
      // The session, the marker by UUID (gsi1) after the first page, one query of the partition.
      expect(live.operations).toBeLessThanOrEqual(3);
      expect([...live.actions].every((action) => ['BatchGetItem', 'UpdateItem', 'Query', 'Query@index'].includes(action))).toBe(true);
      expectAllowedByIam(functionOf('GET', '/compute/v2.1/servers/detail'), live.actions);
      seen.push(...response.body.servers.map((server: { id: string }) => server.id));
      target = response.body.servers_links ? pathOf(response.body.servers_links[0].href) : undefined;
    }
    expect(seen).toEqual(fleet.vms.map((vm) => vm.instanceUuid));
  });

  it('answers a full last page with a link to an empty one, as Nova does', async () => {
    const last = uuidOf(fleetMoId(VMS - 3));
    const response = await novaGet(`/compute/v2.1/servers?limit=2&marker=${last}`);
    expect(response.body.servers.map((server: { id: string }) => server.id)).toEqual(fleet.vms.slice(-2).map((vm) => vm.instanceUuid));
    const next = await novaGet(pathOf(response.body.servers_links[0].href));
    expect(next.body).toEqual({ servers: [] });
  });

  it('answers limit=0 with an empty page and no link', async () => {
    const response = await novaGet('/compute/v2.1/servers?limit=0');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ servers: [] });
  });

  it('caps a limit above max_limit at 1,000', async () => {
    const response = await novaGet('/compute/v2.1/servers?limit=5000');
    expect(response.body.servers).toHaveLength(1000);
    expect(response.body.servers_links[0].href).toMatch(/\?limit=5000&marker=/);
  });

  it.each([
    ['an unknown marker', '?marker=00000000-0000-0000-0000-000000000000', 'marker [00000000-0000-0000-0000-000000000000] not found'],
    ["another tenant's server as marker", `?marker=${WEB_01}`, `marker [${WEB_01}] not found`],
    ['a marker too long for any key', `?marker=${'x'.repeat(3000)}`, `marker [${'x'.repeat(3000)}] not found`],
    ['a limit that is no integer', '?limit=ten', 'Invalid input received: limit must be an integer'],
    ['a negative limit', '?limit=-1', 'Invalid input received: limit must be >= 0'],
  ])('refuses %s with Nova 400', async (_case, query, message) => {
    for (const path of ['/compute/v2.1/servers', '/compute/v2.1/servers/detail']) {
      const response = await novaGet(`${path}${query}`);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ badRequest: { code: 400, message } });
    }
  });
});

describe('vCenter GET /api/vcenter/vm and /rest/vcenter/vm over 4,000 VMs', () => {
  let sessionId: string;
  beforeAll(async () => {
    sessionId = await loginVcenter(fleet.admin, fleet.password);
  });

  it('refuses the unfiltered list with unable_to_allocate_resource after reading at most 4,001 VMs', async () => {
    const message = 'More than 4000 virtual machines match the filter; narrow it.';
    const messages = [{ args: [], default_message: message, id: 'com.vmware.vapi.std.errors.unable_to_allocate_resource' }];
    const { result: response, live, capacityUnits } = await measured('GET', '/api/vcenter/vm', session(sessionId));
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error_type: 'UNABLE_TO_ALLOCATE_RESOURCE', messages });
    // What reading 4,001 VMs costs (plus the session), less than reading the tenant's 4,100.
    const read = async (limit: number) =>
      (await countRoundTrips(() => Inventory.listVms(fleet.tenant, { limit }), { capacity: true })).capacityUnits;
    const [bound, whole] = [await read(4000), await read(VMS)];
    expect(capacityUnits).toBeGreaterThanOrEqual(bound);
    expect(capacityUnits).toBeLessThanOrEqual(bound + 2); // + the session and its tenant's profile
    expect(capacityUnits).toBeLessThan(whole);
    expectAllowedByIam(functionOf('GET', '/api/vcenter/vm'), live.actions);
    const rest = await api('GET', '/rest/vcenter/vm?filter.power_states=POWERED_ON', { headers: session(sessionId) });
    expect(rest.status).toBe(500);
    expect(rest.body).toEqual({ type: 'com.vmware.vapi.std.errors.unable_to_allocate_resource', value: { messages } });
  });

  it('answers names from the name index and vms by key, reading only those', async () => {
    const { result: byName, live } = await measured('GET', '/api/vcenter/vm?names=twin&names=srv-9', session(sessionId));
    expect(byName.status).toBe(200);
    expect(byName.body.map((vm: { vm: string; name: string }) => [vm.vm, vm.name])).toEqual([
      [fleetMoId(6), 'twin'],
      [fleetMoId(8), 'srv-9'],
      [fleetMoId(3332), 'twin'],
    ]);
    expect([...live.actions].sort()).toEqual(['BatchGetItem', 'Query@index']);
    expectAllowedByIam(functionOf('GET', '/api/vcenter/vm'), live.actions);

    const byIdPath = `/rest/vcenter/vm?filter.vms=${fleetMoId(4000)}&filter.vms=vm-101`;
    const { result: byId, live: byIdCalls } = await measured('GET', byIdPath, session(sessionId));
    expect(byId.body).toEqual({ value: [{ vm: fleetMoId(4000), name: 'srv-4001', power_state: 'POWERED_ON' }] });
    expect([...byIdCalls.actions].sort()).toEqual(['BatchGetItem']);
    expectAllowedByIam(functionOf('GET', '/rest/vcenter/vm'), byIdCalls.actions);
  });

  it('answers a folder filter without reading any VM', async () => {
    const { result: response, live } = await measured('GET', '/api/vcenter/vm?folders=group-v3', session(sessionId));
    expect(response.body).toEqual([]);
    expect([...live.actions]).toEqual(['BatchGetItem']);
  });
});

describe('operator lists: limit and next', () => {
  const operatorGet = (target: string) => api('GET', target, { headers: OPERATOR });

  /** Walks a list by its `next` cursors; @returns the items of every page, and how many pages. */
  async function walk(path: string, key: string, limit?: number) {
    const items: any[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const query = new URLSearchParams({ ...(limit ? { limit: String(limit) } : {}), ...(next ? { next } : {}) });
      const response = await operatorGet(`${path}?${query}`);
      expect(response.status).toBe(200);
      expect(response.body[key].length).toBeLessThanOrEqual(limit ?? 100);
      items.push(...response.body[key]);
      next = response.body.next;
      pages += 1;
    } while (next);
    return { items, pages };
  }

  it('pages the VM records, 1,000 at most, each exactly once', async () => {
    const { items, pages } = await walk(`/operator/v1/tenants/${fleet.tenant}/vms`, 'vms', 1000);
    expect(pages).toBe(5);
    expect(items).toEqual(fleet.vms);
  });

  it('pages the users, 100 by default, each exactly once', async () => {
    const { items, pages } = await walk(`/operator/v1/tenants/${fleet.tenant}/users`, 'users');
    expect(pages).toBe(3);
    expect(items.map((user) => user.userName)).toEqual([fleet.admin, ...fleet.users].sort());
    expect(JSON.stringify(items)).not.toContain('passwordHash');
  });

  it('answers the last page without next, and an exactly full one without next too', async () => {
    const exact = await operatorGet(`/operator/v1/tenants/${fleet.tenant}/users?limit=${USERS + 1}`);
    expect(exact.body.users).toHaveLength(USERS + 1);
    expect(exact.body.next).toBeUndefined();
  });

  it('pages the tenants, each exactly once', async () => {
    const { items } = await walk('/operator/v1/tenants', 'tenants', 7);
    const ids = items.map((tenant) => tenant.tenantId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['acme', 'globex', fleet.tenant]));
    expect(ids).toEqual([...ids].sort());
  });

  it("keeps a forged cursor in the path's tenant: another tenant's user name as cursor reads only this tenant's users", async () => {
    const next = Buffer.from('admin@acme').toString('base64url');
    const response = await operatorGet(`/operator/v1/tenants/${fleet.tenant}/users?limit=1000&next=${next}`);
    expect(response.status).toBe(200);
    expect(response.body.users.map((user: { userName: string }) => user.userName)).toEqual([fleet.admin, ...fleet.users].sort());
    expect(response.body.users.every((user: { tenantId: string }) => user.tenantId === fleet.tenant)).toBe(true);
  });

  const invalid = (field: string, message: string) => ({
    error_type: 'INVALID_ARGUMENT',
    messages: [{ args: [], default_message: `Invalid value for ${field}: ${message}.`, id: 'com.vmware.vapi.std.errors.invalid_argument' }],
  });

  it.each([
    ['limit=0', 'limit', 'Number must be greater than or equal to 1'],
    ['limit=1001', 'limit', 'Number must be less than or equal to 1000'],
    ['limit=many', 'limit', 'Expected number, received nan'],
    ['next=not%20base64!', 'next', 'not a cursor of this list'],
    [`next=${Buffer.from('VM#vm-1').toString('base64url')}`, 'next', 'not a cursor of this list'],
    [`next=${Buffer.from('TENANT#acme').toString('base64url')}`, 'next', 'not a cursor of this list'],
  ])('refuses ?%s with 400 invalid_argument', async (query, field, message) => {
    const response = await operatorGet(`/operator/v1/tenants/${fleet.tenant}/users?${query}`);
    expect(response.status).toBe(400);
    expect(response.body).toEqual(invalid(field, message));
  });

  it("refuses a cursor that is no moId for the VM list, and keeps a moId cursor in the path's tenant", async () => {
    const bad = await operatorGet(`/operator/v1/tenants/${fleet.tenant}/vms?next=${Buffer.from('USER#x@y').toString('base64url')}`);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual(invalid('next', 'not a cursor of this list'));
    const acme = await operatorGet(`/operator/v1/tenants/acme/vms?next=${Buffer.from(fleetMoId(0)).toString('base64url')}`);
    expect(acme.body.vms.map((vm: { moId: string }) => vm.moId)).toEqual(['vm-101', 'vm-102', 'vm-103']);
  });
});
