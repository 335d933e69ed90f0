/**
 * Stock client libraries against this service, unchanged: from Debian's packages (installed by
 * scripts/install-e2e-deps.sh) openstacksdk, novaclient's Python API, libcloud's OpenStack driver and
 * Ansible's vmware.vmware_rest modules; from npm (a devDependency) openstack-wrapper. Each talks HTTP(S) to
 * the real handlers. A client that is not installed is skipped, saying so.
 */
import { execFile } from 'node:child_process';
import { get as httpsGet } from 'node:https';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, CONSOLE_PROXY } from '../support/api.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';
import { seedFleet } from '../support/fleet.js';
import { startStack, type Stack } from '../support/local-stack.js';

const PYTHON = '/usr/bin/python3';
const DIST = '/usr/lib/python3/dist-packages';
const has = (path: string, what: string) => {
  const found = existsSync(path);
  if (!found) console.warn(`stock-clients: ${what} not installed (${path}); run scripts/install-e2e-deps.sh`);
  return found;
};
const openstacksdk = has(`${DIST}/openstack`, 'python3-openstacksdk');
const novaclient = has(`${DIST}/novaclient`, 'python3-novaclient');
const libcloud = has(`${DIST}/libcloud`, 'python3-libcloud');
const vmwareRest =
  has('/usr/bin/ansible', 'ansible') &&
  has(`${DIST}/ansible_collections/vmware/vmware_rest`, "ansible's vmware.vmware_rest collection") &&
  has(`${DIST}/aiohttp`, 'python3-aiohttp');

const WEB_01 = '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101';
const NOVNC_URL = /^http:\/\/127\.0\.0\.1:6080\/vnc_auto\.html\?path=%3Ftoken%3D(acme\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43})$/;

/** Runs a program with a clean environment (no OS_* variables, no clouds.yaml, no Ansible configuration). */
function run(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'stock-client-'));
  return new Promise((resolve, reject) =>
    execFile(command, args, { env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', ...env }, timeout: 120_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.slice(0, 3).join(' ')}: ${stderr || error.message}\n${stdout}`)) : resolve(stdout),
    ),
  );
}

/** A Python program's last line of output, parsed as JSON. */
const python = async (program: string, ...args: string[]) => JSON.parse((await run(PYTHON, ['-c', program, ...args])).trim().split('\n').pop()!);

/** The console token in a URL redeems exactly once, as the console proxy would redeem it. */
async function expectRedeemableOnce(url: string): Promise<void> {
  const token = NOVNC_URL.exec(url)![1]!;
  const redeem = () => api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket: token } });
  expect((await redeem()).body).toMatchObject({ tenantId: 'acme', instanceUuid: WEB_01, vnc: { host: '127.0.0.1', port: 5901 } });
  expect((await redeem()).status).toBe(404);
}

/** One vmware.vmware_rest module run ad hoc on localhost against the vCenter at `url`; its result as the json callback reports it. */
async function vmwareRestModule(url: string, name: string, args: Record<string, string> = {}) {
  const connection = {
    vcenter_hostname: new URL(url).host,
    vcenter_username: 'admin@acme',
    vcenter_password: 'acme-admin-pass',
    vcenter_validate_certs: 'false',
  };
  const moduleArgs = Object.entries({ ...connection, ...args }).map(([key, value]) => `${key}=${value}`).join(' ');
  const output = await run('/usr/bin/ansible', ['localhost', '-c', 'local', '-m', `vmware.vmware_rest.${name}`, '-a', moduleArgs], {
    ANSIBLE_STDOUT_CALLBACK: 'json',
    ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
    ANSIBLE_PYTHON_INTERPRETER: PYTHON,
    ANSIBLE_LOCALHOST_WARNING: '0',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: '0',
  }).catch((error: Error) => error.message);
  const json = JSON.parse(output.slice(output.indexOf('{')));
  return json.plays[0].tasks[0].hosts.localhost;
}

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer();
});
afterAll(async () => {
  await server?.close();
});

const KEYSTONE = `
import sys
auth_url = sys.argv[1] + '/identity/v3'
credentials = dict(auth_url=auth_url, username='admin', user_domain_name='acme', password='acme-admin-pass',
                   project_name='acme', project_domain_name='acme')
`;

describe.skipIf(!openstacksdk)('openstacksdk (python3-openstacksdk)', () => {
  it('compute.get_server_console_url: the os-getVNCConsole server action', async () => {
    const output = await python(
      `${KEYSTONE}
import json, openstack
conn = openstack.connect(auth=credentials, region_name='RegionOne')
server = conn.compute.find_server('web-01', ignore_missing=False)
print(json.dumps(conn.compute.get_server_console_url(server, 'novnc')))`,
      server.url,
    );
    expect(output).toEqual({ type: 'novnc', url: expect.stringMatching(NOVNC_URL) });
    expect(server.requests).toContain(`POST /compute/v2.1/servers/${WEB_01}/action`);
    await expectRedeemableOnce(output.url);
  }, 150_000);

  it('compute.create_console: remote-consoles at the negotiated microversion', async () => {
    const output = await python(
      `${KEYSTONE}
import json, openstack
conn = openstack.connect(auth=credentials, region_name='RegionOne')
server = conn.compute.find_server('web-01', ignore_missing=False)
print(json.dumps(conn.compute.create_console(server, 'novnc')))`,
      server.url,
    );
    expect(output).toMatchObject({ type: 'novnc', url: expect.stringMatching(NOVNC_URL) });
    expect(server.requests).toContain(`POST /compute/v2.1/servers/${WEB_01}/remote-consoles`);
    await expectRedeemableOnce(output.url);
  }, 150_000);
});

describe.skipIf(!openstacksdk)('openstacksdk: paginated server lists', () => {
  const SERVER_IDS = `
import sys, json, openstack
domain = sys.argv[2]
conn = openstack.connect(auth=dict(auth_url=sys.argv[1] + '/identity/v3', username='admin', user_domain_name=domain,
    password=sys.argv[3], project_name=domain, project_domain_name=domain), region_name='RegionOne')
limit = int(sys.argv[4]) if len(sys.argv) > 4 else None
print(json.dumps([server.id for server in conn.compute.servers(details=False, limit=limit)]))`;

  it("compute.servers walks 2,500 servers by Nova's servers_links, 1,000 a page, each exactly once", async () => {
    const fleet = await seedFleet({ prefix: 'sdk', vmCount: 2_500 });
    const before = server.requests.length;
    const ids = await python(SERVER_IDS, server.url, fleet.tenant, fleet.password);
    expect(ids).toEqual(fleet.vms.map((vm) => vm.instanceUuid));
    // No limit asked: the client follows the next links only, and the third page has none.
    expect(server.requests.slice(before).filter((request) => request === 'GET /compute/v2.1/servers')).toHaveLength(3);
  }, 150_000);

  it('compute.servers(limit=2) walks the demo tenant two servers a page', async () => {
    const ids = await python(SERVER_IDS, server.url, 'acme', 'acme-admin-pass', '2');
    expect(ids).toEqual([WEB_01, '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9102', '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9103']);
  }, 150_000);
});

describe.skipIf(!novaclient)("novaclient's Python API (python3-novaclient)", () => {
  const getVncConsole = (version: string) =>
    python(
      `${KEYSTONE}
import json
from keystoneauth1 import identity, session
from novaclient import client
nova = client.Client(sys.argv[2], session=session.Session(auth=identity.v3.Password(**credentials)))
server = nova.servers.find(name='web-01')
print(json.dumps(nova.servers.get_vnc_console(server, 'novnc')))`,
      server.url,
      version,
    );

  it('servers.get_vnc_console at 2.1: the os-getVNCConsole action', async () => {
    const output = await getVncConsole('2.1');
    expect(output).toEqual({ console: { type: 'novnc', url: expect.stringMatching(NOVNC_URL) } });
    await expectRedeemableOnce(output.console.url);
  }, 150_000);

  it('servers.get_vnc_console at 2.6: remote-consoles', async () => {
    const output = await getVncConsole('2.6');
    expect(output).toEqual({ remote_console: { protocol: 'vnc', type: 'novnc', url: expect.stringMatching(NOVNC_URL) } });
    await expectRedeemableOnce(output.remote_console.url);
  }, 150_000);
});

describe.skipIf(!libcloud)("libcloud's OpenStack driver (python3-libcloud)", () => {
  const DRIVER = `
import sys, json
from libcloud.compute.providers import get_driver
from libcloud.compute.types import Provider
# An auth URL with a path is the token request's whole path to libcloud.
driver = get_driver(Provider.OPENSTACK)('admin', 'acme-admin-pass', ex_force_auth_url=sys.argv[1] + '/identity/v3/auth/tokens',
    ex_force_auth_version='3.x_password', ex_tenant_name='acme', ex_domain_name='acme', ex_tenant_domain_id='acme',
    ex_force_service_region='RegionOne')
view = lambda node: dict(id=node.id, name=node.name, state=node.state, created=node.extra['created'],
    updated=node.extra['updated'], hostId=node.extra['hostId'], tenantId=node.extra['tenantId'])
`;
  const TIME = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const HOST_ID = expect.stringMatching(/^[0-9a-f]{56}$/);

  it("list_nodes: the tenant's servers with Nova's detail view", async () => {
    const nodes = await python(`${DRIVER}\nprint(json.dumps([view(node) for node in driver.list_nodes()]))`, server.url);
    expect(nodes).toEqual([
      { id: WEB_01, name: 'web-01', state: 'running', created: TIME, updated: TIME, hostId: HOST_ID, tenantId: 'acme' },
      { id: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9102', name: 'db-01', state: 'stopped', created: TIME, updated: TIME, hostId: HOST_ID, tenantId: 'acme' },
      { id: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9103', name: 'win-01', state: 'running', created: TIME, updated: TIME, hostId: HOST_ID, tenantId: 'acme' },
    ]);
  }, 150_000);

  it('ex_get_node_details: one server', async () => {
    const node = await python(`${DRIVER}\nprint(json.dumps(view(driver.ex_get_node_details(sys.argv[2]))))`, server.url, WEB_01);
    expect(node).toEqual({ id: WEB_01, name: 'web-01', state: 'running', created: TIME, updated: TIME, hostId: HOST_ID, tenantId: 'acme' });
  }, 150_000);
});

/** libcloud's vSphere REST driver (vSphere 6.5 and later) at `url`: list_nodes, with an optional name filter. */
const VSPHERE_LIST_NODES = `
import sys, json
from urllib.parse import urlsplit
from libcloud.compute.drivers.vsphere import VSphere_REST_NodeDriver
url = urlsplit(sys.argv[1])
driver = VSphere_REST_NodeDriver('admin@acme', 'acme-admin-pass', secure=url.scheme == 'https', host=url.hostname, port=url.port)
view = lambda node: dict(id=node.id, name=node.name, state=node.state, private_ips=node.private_ips, public_ips=node.public_ips,
    ram=node.size.ram, cpus=node.size.extra['cpus'], disk=node.size.disk, image=node.image.name)
print(json.dumps([view(node) for node in driver.list_nodes(ex_filter_names=sys.argv[2:] or None)]))
`;
/** What libcloud makes of the demo VMs: no NICs or disks recorded, so no addresses and no disk size. */
const VSPHERE_NODES = [
  { id: 'vm-101', name: 'web-01', state: 'running', private_ips: [], public_ips: [], ram: 4096, cpus: 2, disk: 0, image: 'OTHER_LINUX_64' },
  { id: 'vm-102', name: 'db-01', state: 'stopped', private_ips: [], public_ips: [], ram: 16384, cpus: 4, disk: 0, image: 'OTHER_LINUX_64' },
  { id: 'vm-103', name: 'win-01', state: 'running', private_ips: [], public_ips: [], ram: 8192, cpus: 2, disk: 0, image: 'WINDOWS_9_64' },
];

describe.skipIf(!libcloud)("libcloud's vSphere REST driver (python3-libcloud)", () => {
  it("list_nodes: the tenant's VMs, each VM's details and the appliance's interfaces", async () => {
    const before = server.requests.length;
    expect(await python(VSPHERE_LIST_NODES, server.url)).toEqual(VSPHERE_NODES);
    expect(server.requests.slice(before)).toEqual([
      'POST /rest/com/vmware/cis/session',
      'GET /rest/vcenter/vm',
      'GET /rest/appliance/networking/interfaces',
      'GET /rest/vcenter/vm/vm-101',
      'GET /rest/vcenter/vm/vm-102',
      'GET /rest/vcenter/vm/vm-103',
    ]);
  }, 150_000);

  it('list_nodes with ex_filter_names', async () => {
    expect(await python(VSPHERE_LIST_NODES, server.url, 'db-01')).toEqual([VSPHERE_NODES[1]]);
  }, 150_000);
});

describe.skipIf(!vmwareRest)("Ansible's vmware.vmware_rest modules (ansible)", () => {
  let tls: ApiServer;
  beforeAll(async () => {
    tls = await startApiServer({ tls: true });
  });
  afterAll(async () => {
    await tls?.close();
  });

  const module = (name: string, args: Record<string, string> = {}) => vmwareRestModule(tls.url, name, args);

  it('vcenter_vm_info lists the VMs and filters by name', async () => {
    const all = await module('vcenter_vm_info');
    expect(all.failed, JSON.stringify(all)).toBeFalsy();
    expect(all.value.map((vm: { name: string }) => vm.name)).toEqual(['web-01', 'db-01', 'win-01']);
    const named = await module('vcenter_vm_info', { filter_names: 'web-01' });
    expect(named.value).toEqual([{ vm: 'vm-101', name: 'web-01', power_state: 'POWERED_ON', cpu_count: 2, memory_size_MiB: 4096 }]);
    expect(tls.requests).toContain('GET /api/vcenter/vm');
  }, 150_000);

  it('vcenter_vm_info gets one VM', async () => {
    const one = await module('vcenter_vm_info', { vm: 'vm-101' });
    expect(one).toMatchObject({ id: 'vm-101', value: { name: 'web-01', power_state: 'POWERED_ON', cpu: { count: 2 }, memory: { size_MiB: 4096 } } });
    const foreign = await module('vcenter_vm_info', { vm: 'vm-201' });
    expect(foreign.value).toEqual({ error_type: 'NOT_FOUND', messages: [expect.objectContaining({ default_message: 'Virtual machine vm-201 was not found.' })] });
  }, 150_000);

  it('vcenter_vm_power_info and vcenter_vm_tools_info', async () => {
    expect((await module('vcenter_vm_power_info', { vm: 'vm-102' })).value).toEqual({ state: 'POWERED_OFF' });
    expect((await module('vcenter_vm_tools_info', { vm: 'vm-102' })).value).toEqual({
      auto_update_supported: false,
      upgrade_policy: 'MANUAL',
      run_state: 'NOT_RUNNING',
    });
  }, 150_000);
});

describe.skipIf(!vmwareRest && !libcloud)('against npm start, over its https front door', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 300_000);
  afterAll(async () => {
    if (!stack) return;
    stack.child.kill('SIGTERM');
    await stack.exited;
  }, 60_000);

  /** One GET without a session over the https front door (its certificate is self-signed), and the certificate. */
  const getOverHttps = (path: string) =>
    new Promise<{ status: number; contentType?: string; body: string; altNames?: string }>((resolve, reject) => {
      const request = httpsGet(`${stack.httpsUrl}${path}`, { rejectUnauthorized: false }, (response) => {
        const altNames = (response.socket as TLSSocket).getPeerCertificate().subjectaltname;
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        response.on('end', () => resolve({ status: response.statusCode!, contentType: response.headers['content-type'], body, altNames }));
      });
      request.on('error', reject);
    });

  it("passes the function's Content-Type on as it is, over http and over https", async () => {
    const unauthenticated = JSON.stringify({
      error_type: 'UNAUTHENTICATED',
      messages: [{ args: [], default_message: 'Authentication required.', id: 'com.vmware.vapi.std.errors.unauthenticated' }],
    });
    const plain = await fetch(`${stack.url}/api/vcenter/vm`);
    expect([plain.status, plain.headers.get('content-type'), await plain.text()]).toEqual([401, 'application/json', unauthenticated]);
    const tls = await getOverHttps('/api/vcenter/vm');
    expect(tls).toEqual({ status: 401, contentType: 'application/json', body: unauthenticated, altNames: 'IP Address:127.0.0.1, DNS:localhost' });
  }, 150_000);

  it.skipIf(!vmwareRest)('vmware.vmware_rest: vcenter_vm_info, vcenter_vm_power_info, vcenter_vm_tools_info', async () => {
    const all = await vmwareRestModule(stack.httpsUrl, 'vcenter_vm_info');
    expect(all.failed, JSON.stringify(all)).toBeFalsy();
    expect(all.value).toEqual([
      { vm: 'vm-101', name: 'web-01', power_state: 'POWERED_ON', cpu_count: 2, memory_size_MiB: 4096 },
      { vm: 'vm-102', name: 'db-01', power_state: 'POWERED_OFF', cpu_count: 4, memory_size_MiB: 16384 },
      { vm: 'vm-103', name: 'win-01', power_state: 'POWERED_ON', cpu_count: 2, memory_size_MiB: 8192 },
    ]);
    const named = await vmwareRestModule(stack.httpsUrl, 'vcenter_vm_info', { filter_names: 'db-01' });
    expect(named.value).toEqual([{ vm: 'vm-102', name: 'db-01', power_state: 'POWERED_OFF', cpu_count: 4, memory_size_MiB: 16384 }]);
    const one = await vmwareRestModule(stack.httpsUrl, 'vcenter_vm_info', { vm: 'vm-101' });
    expect(one).toMatchObject({ id: 'vm-101', value: { name: 'web-01', power_state: 'POWERED_ON', cpu: { count: 2 }, memory: { size_MiB: 4096 } } });
    const foreign = await vmwareRestModule(stack.httpsUrl, 'vcenter_vm_info', { vm: 'vm-201' });
    expect(foreign.value).toEqual({ error_type: 'NOT_FOUND', messages: [expect.objectContaining({ default_message: 'Virtual machine vm-201 was not found.' })] });
    expect((await vmwareRestModule(stack.httpsUrl, 'vcenter_vm_power_info', { vm: 'vm-102' })).value).toEqual({ state: 'POWERED_OFF' });
    // vm-101's VMware Tools: npm start's demo guest agent, heartbeating.
    expect((await vmwareRestModule(stack.httpsUrl, 'vcenter_vm_tools_info', { vm: 'vm-101' })).value).toMatchObject({
      auto_update_supported: false,
      upgrade_policy: 'MANUAL',
      run_state: 'RUNNING',
    });
  }, 300_000);

  it.skipIf(!libcloud)("libcloud's vSphere REST driver: list_nodes", async () => {
    expect(await python(VSPHERE_LIST_NODES, stack.httpsUrl)).toEqual(VSPHERE_NODES);
  }, 150_000);

  it('pages Nova and operator lists under serverless-offline: servers_links through the front door, next cursors, Nova 400s', async () => {
    const login = await fetch(`${stack.url}/api/session`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('admin@acme:acme-admin-pass').toString('base64')}` },
    });
    const token = (await login.json()) as string;
    const get = async (url: string, headers: Record<string, string>) => {
      const response = await fetch(url, { headers });
      return { status: response.status, body: (await response.json()) as any };
    };
    const ids: string[] = [];
    let url: string | undefined = `${stack.url}/compute/v2.1/servers?limit=2`;
    while (url) {
      const page = await get(url, { 'x-auth-token': token });
      expect(page.status).toBe(200);
      ids.push(...page.body.servers.map((entry: { id: string }) => entry.id));
      url = page.body.servers_links?.[0]?.href;
      if (url) expect(url).toBe(`${stack.url}/compute/v2.1/servers?limit=2&marker=${ids.at(-1)}`);
    }
    expect(ids).toEqual([WEB_01, '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9102', '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9103']);
    expect(await get(`${stack.url}/compute/v2.1/servers/detail?marker=nope&limit=1`, { 'x-auth-token': token })).toEqual({
      status: 400,
      body: { badRequest: { code: 400, message: 'marker [nope] not found' } },
    });

    const operator = { authorization: 'Bearer demo-operator-key' };
    const first = await get(`${stack.url}/operator/v1/tenants/acme/vms?limit=2`, operator);
    expect(first.body.vms.map((vm: { moId: string }) => vm.moId)).toEqual(['vm-101', 'vm-102']);
    const second = await get(`${stack.url}/operator/v1/tenants/acme/vms?limit=2&next=${first.body.next}`, operator);
    expect(second.body).toEqual({ vms: [expect.objectContaining({ moId: 'vm-103' })] });
  }, 150_000);
});

describe('openstack-wrapper (npm)', () => {
  // A CommonJS package with callbacks: promisified here, called exactly as its README shows.
  const OSWrap = createRequire(import.meta.url)('openstack-wrapper');
  const promised = <T>(call: (cb: (error: Error | null, value: T) => void) => void) =>
    new Promise<T>((resolve, reject) => call((error, value) => (error ? reject(error) : resolve(value))));

  it('getSimpleProject (password, then getProjectToken with the token method) and nova.getServerConsoleURL', async () => {
    const tokenRequests = () => server.requests.filter((request) => request === 'POST /identity/v3/auth/tokens').length;
    const before = tokenRequests();
    const project = await promised<any>((cb) => OSWrap.getSimpleProject('admin@acme', 'acme-admin-pass', 'acme', `${server.url}/identity/v3`, cb));
    expect(tokenRequests() - before).toBe(2);
    const url = await promised<string>((cb) => project.nova.getServerConsoleURL('novnc', WEB_01, cb));
    expect(url).toMatch(NOVNC_URL);
    await expectRedeemableOnce(url);
  }, 60_000);

  it('keystone.getProjectToken refuses a token that is not live', async () => {
    const keystone = new OSWrap.Keystone(`${server.url}/identity/v3`);
    await expect(promised((cb) => keystone.getProjectToken(`acme.${'A'.repeat(16)}.${'A'.repeat(43)}`, 'acme', cb))).rejects.toThrow();
  }, 60_000);
});
