/**
 * Writes events/<function>.json: one API Gateway HTTP API (payload 2.0) event per function, as API Gateway
 * would deliver a typical request — to invoke a function through serverless-offline's Lambda API
 * (`POST :3002/2015-03-31/functions/console-broker-local-<function>/invocations`), and for the suite
 * (test/features/events.test.ts replays them; the fuzz tests start from them).
 * Run: `npx tsx scripts/sample-events.ts`. Where a live credential is needed the event carries a placeholder.
 * Mutating samples touch the `initech` tenant (absent from the demo data), never acme's demo objects.
 */
import { writeFileSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basic, buildEvent, CONSOLE_PROXY, OPERATOR, routes, type RequestOptions } from '../test/support/api.js';
import { SESSION_PLACEHOLDER } from '../test/support/events.js';

const folder = fileURLToPath(new URL('../events/', import.meta.url));
const vcenter = { 'vmware-api-session-id': SESSION_PLACEHOLDER };
const nova = (version = '2.96') => ({ 'x-auth-token': SESSION_PLACEHOLDER, 'openstack-api-version': `compute ${version}` });
const agent = { authorization: 'Bearer acme.vm-101.REPLACE-WITH-THE-AGENT-CREDENTIAL-FROM-THE-OPERATOR' };
const guestCredentials = { type: 'USERNAME_PASSWORD', user_name: 'demo', password: 'demo-guest-pass', interactive_session: false };
const WEB_01 = '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101';
const SHA1 = '5B:F8:2A:9C:0E:11:47:3D:6A:B2:C4:88:19:70:E3:5F:21:AC:9D:04';
const SHA256 = '3C:91:7A:55:E0:4B:18:D2:6F:A9:02:C7:8E:31:B4:5D:90:1F:6C:E8:27:A3:4D:B9:05:72:CE:11:8A:F6:3B:D0';

/** function name → the request it is sampled with. */
const SAMPLES: Record<string, [method: string, path: string, options?: RequestOptions]> = {
  health: ['GET', '/health'],
  vcenterCreateSession: ['POST', '/api/session', { headers: basic('admin@acme', 'acme-admin-pass') }],
  vcenterGetSession: ['GET', '/api/session', { headers: vcenter }],
  vcenterDeleteSession: ['DELETE', '/api/session', { headers: vcenter }],
  vcenterCreateConsoleTicket: ['POST', '/api/vcenter/vm/vm-101/console/tickets', { headers: vcenter, body: { type: 'WEBMKS' } }],
  vcenterListConsoleSessions: ['GET', '/api/vcenter/vm/vm-101/console/sessions', { headers: vcenter }],
  vcenterShadowConsoleSession: ['POST', '/api/vcenter/vm/vm-101/console/sessions/6f1c1c2e-8d4b-4f7a-9a55-0c1e2d3f4a5b?action=shadow', { headers: vcenter }],
  vcenterListVms: ['GET', '/api/vcenter/vm?names=web-01&names=db-01&power_states=POWERED_ON', { headers: vcenter }],
  vcenterGetVm: ['GET', '/api/vcenter/vm/vm-101', { headers: vcenter }],
  vcenterGetVmPower: ['GET', '/api/vcenter/vm/vm-101/power', { headers: vcenter }],
  vcenterGetVmTools: ['GET', '/api/vcenter/vm/vm-101/tools', { headers: vcenter }],
  vcenterListApplianceInterfaces: ['GET', '/api/appliance/networking/interfaces', { headers: vcenter }],
  vim25Login: ['POST', '/sdk/vim25/8.0.3.0/SessionManager/SessionManager/Login', { body: { userName: 'admin@acme', password: 'acme-admin-pass' } }],
  vim25Logout: ['POST', '/sdk/vim25/8.0.3.0/SessionManager/SessionManager/Logout', { headers: vcenter }],
  vim25AcquireTicket: ['POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-101/AcquireTicket', { headers: vcenter, body: { ticketType: 'webmks' } }],
  vim25AcquireMksTicket: ['POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-101/AcquireMksTicket', { headers: vcenter }],
  operatorListTenants: ['GET', '/operator/v1/tenants', { headers: OPERATOR }],
  operatorPutTenant: ['PUT', '/operator/v1/tenants/initech', { headers: OPERATOR, body: { displayName: 'Initech' } }],
  operatorGetTenant: ['GET', '/operator/v1/tenants/acme', { headers: OPERATOR }],
  operatorDeleteTenant: ['DELETE', '/operator/v1/tenants/initech', { headers: OPERATOR }],
  operatorListUsers: ['GET', '/operator/v1/tenants/acme/users', { headers: OPERATOR }],
  operatorPutUser: ['PUT', '/operator/v1/tenants/initech/users/peter@initech', {
    headers: OPERATOR,
    body: { password: 'peter-password', fullName: 'Peter', privileges: ['VirtualMachine.Interact.ConsoleInteract'] },
  }],
  operatorGetUser: ['GET', '/operator/v1/tenants/acme/users/viewer@acme', { headers: OPERATOR }],
  operatorDeleteUser: ['DELETE', '/operator/v1/tenants/initech/users/peter@initech', { headers: OPERATOR }],
  operatorListVms: ['GET', '/operator/v1/tenants/acme/vms', { headers: OPERATOR }],
  operatorPutVm: ['PUT', '/operator/v1/tenants/initech/vms/vm-7', {
    headers: OPERATOR,
    body: {
      instanceUuid: '0b7e2d6a-6c1f-4a8e-9d55-2f7a3c9e0a07',
      name: 'tps-01',
      powerState: 'poweredOn',
      guestOsFamily: 'linux',
      host: { address: 'esx-07.initech.test', port: 443, sslThumbprintSha1: SHA1, sslThumbprintSha256: SHA256 },
      vnc: { host: '10.0.7.7', port: 5900 },
      vmxPath: '[datastore1] tps-01/tps-01.vmx',
    },
  }],
  operatorGetVm: ['GET', '/operator/v1/tenants/acme/vms/vm-101', { headers: OPERATOR }],
  operatorDeleteVm: ['DELETE', '/operator/v1/tenants/initech/vms/vm-7', { headers: OPERATOR }],
  operatorIssueAgentCredential: ['POST', '/operator/v1/tenants/initech/vms/vm-7/agent-credentials', { headers: OPERATOR }],
  vim25QueryConnections: ['POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-101/QueryConnections', { headers: vcenter }],
  vim25DropConnections: ['POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-101/DropConnections', {
    headers: vcenter,
    body: { listOfConnections: [{ _typeName: 'VirtualMachineMksConnection', label: '6f1c1c2e-8d4b-4f7a-9a55-0c1e2d3f4a5b', client: '198.51.100.7', userName: 'admin@acme' }] },
  }],
  operatorListTenantConsoleSessions: ['GET', '/operator/v1/tenants/acme/console-sessions', { headers: OPERATOR }],
  operatorListVmConsoleSessions: ['GET', '/operator/v1/tenants/acme/vms/vm-101/console-sessions', { headers: OPERATOR }],
  operatorListUserConsoleSessions: ['GET', '/operator/v1/tenants/acme/users/admin@acme/console-sessions', { headers: OPERATOR }],
  // Console recordings (docs/recording.md): the demo data records no console, so the sampled id is unknown (404).
  operatorListRecordings: ['GET', '/operator/v1/tenants/acme/recordings?vm=vm-101&limit=10', { headers: OPERATOR }],
  operatorCreatePlayback: ['POST', '/operator/v1/tenants/acme/recordings/019af6c2-5d1e-7b3a-9c4e-2f6a8b0c1d2e/playbacks', { headers: OPERATOR }],
  vcenterListVmRecordings: ['GET', '/api/vcenter/vm/vm-101/console/recordings', { headers: vcenter }],
  vcenterListUserRecordings: ['GET', '/api/vcenter/console/recordings?user=admin%40acme', { headers: vcenter }],
  vcenterRecordingPlayback: ['POST', '/api/vcenter/vm/vm-101/console/recordings/019af6c2-5d1e-7b3a-9c4e-2f6a8b0c1d2e?action=playback', { headers: vcenter }],
  consoleProxyRedeemPlayback: ['POST', '/console-proxy/v1/playbacks', {
    headers: CONSOLE_PROXY,
    body: { token: 'acme.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
  }],
  operatorGetAuditTrail: ['GET', '/operator/v1/tenants/acme/audit-trail?day=2026-11-24&limit=100', { headers: OPERATOR }],
  operatorIssueShadowTicket: ['POST', '/operator/v1/tenants/initech/console-sessions/6f1c1c2e-8d4b-4f7a-9a55-0c1e2d3f4a5b/shadows', { headers: OPERATOR }],
  operatorEndConsoleSession: ['DELETE', '/operator/v1/tenants/initech/console-sessions/6f1c1c2e-8d4b-4f7a-9a55-0c1e2d3f4a5b', { headers: OPERATOR }],
  operatorEndVmConsoleSessions: ['DELETE', '/operator/v1/tenants/initech/vms/vm-7/console-sessions', { headers: OPERATOR }],
  operatorEndUserConsoleSessions: ['DELETE', '/operator/v1/tenants/initech/users/peter@initech/console-sessions', { headers: OPERATOR }],
  consoleProxyHeartbeats: ['POST', '/console-proxy/v1/heartbeats', {
    headers: CONSOLE_PROXY,
    body: { sessions: [{ sessionId: '6f1c1c2e-8d4b-4f7a-9a55-0c1e2d3f4a5b', tenantId: 'acme', vmMoId: 'vm-101', lastInputAt: '2026-12-07T00:00:00.000Z' }] },
  }],
  consoleProxyRedeemTicket: ['POST', '/console-proxy/v1/redemptions', {
    headers: CONSOLE_PROXY,
    body: { ticket: 'acme.REPLACE-WITH-A-TICKET-FROM-A-CONSOLE-CALL' },
  }],
  consoleProxyRecordSession: ['POST', '/console-proxy/v1/audit-records', {
    headers: CONSOLE_PROXY,
    body: {
      sessionId: '6f1c1c2e-8d4b-4f7a-9a55-0c1e2d3f4a5b',
      tenantId: 'acme',
      vmMoId: 'vm-101',
      instanceUuid: WEB_01,
      consoleType: 'novnc',
      principal: 'admin@acme',
      ticketFingerprint: '1a2b3c4d',
      startedAt: '2026-11-24T20:00:00.000Z',
      endedAt: '2026-11-24T20:05:00.000Z',
      bytesToVm: 1200,
      bytesFromVm: 480000,
      endReason: 'client closed',
    },
  }],
  vcenterGuestProcesses: ['POST', '/api/vcenter/vm/vm-101/guest/processes?action=create', {
    headers: vcenter,
    body: { credentials: guestCredentials, spec: { path: '/bin/echo', arguments: 'hello' } },
  }],
  vcenterGuestProcess: ['POST', '/api/vcenter/vm/vm-101/guest/processes/4242?action=get', { headers: vcenter, body: { credentials: guestCredentials } }],
  guestAgentRegister: ['PUT', '/agent/v1/registration', {
    headers: agent,
    body: { publicKey: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VuAyEA...\n-----END PUBLIC KEY-----\n', agentVersion: '1.0.0' },
  }],
  guestAgentHeartbeat: ['POST', '/agent/v1/heartbeats', { headers: agent }],
  guestAgentClaim: ['POST', '/agent/v1/claims', { headers: agent }],
  guestAgentResult: ['POST', '/agent/v1/results', {
    headers: agent,
    body: {
      workId: 'REPLACE-WITH-A-CLAIMED-WORK-ID',
      outcome: 'started',
      process: { pid: 4242, name: 'echo', owner: 'demo', command: '/bin/echo hello', started: '2026-11-24T20:00:00.000Z' },
    },
  }],
  guestAgentExit: ['POST', '/agent/v1/exits', { headers: agent, body: { pid: 4242, exitCode: 0, finished: '2026-11-24T20:05:00.000Z' } }],
  novaListVersions: ['GET', '/compute'],
  novaShowVersion: ['GET', '/compute/v2.1'],
  novaListServers: ['GET', '/compute/v2.1/servers?name=web-01', { headers: nova() }],
  novaListServersDetail: ['GET', '/compute/v2.1/servers/detail?name=web-01', { headers: nova() }],
  novaShowServer: ['GET', `/compute/v2.1/servers/${WEB_01}`, { headers: nova() }],
  novaCreateRemoteConsole: ['POST', `/compute/v2.1/servers/${WEB_01}/remote-consoles`, {
    headers: nova('2.6'),
    body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
  }],
  novaServerAction: ['POST', `/compute/v2.1/servers/${WEB_01}/action`, {
    headers: nova('2.1'),
    body: { 'os-getVNCConsole': { type: 'novnc' } },
  }],
  novaListConsoles: ['GET', `/compute/v2.1/servers/${WEB_01}/consoles`, { headers: nova('2.1') }],
  novaCreateConsole: ['POST', `/compute/v2.1/servers/${WEB_01}/consoles`, { headers: nova('2.1') }],
  novaShowConsole: ['GET', `/compute/v2.1/servers/${WEB_01}/consoles/1`, { headers: nova('2.1') }],
  novaDeleteConsole: ['DELETE', `/compute/v2.1/servers/${WEB_01}/consoles/1`, { headers: nova('2.1') }],
  novaShowConsoleAuthToken: ['GET', '/compute/v2.1/os-console-auth-tokens/acme.REPLACE-WITH-A-CONSOLE-TOKEN', {
    headers: { 'x-auth-token': 'demo-console-proxy-key', 'openstack-api-version': 'compute 2.31' },
  }],
  routeNotFound: ['GET', '/compute/v2.1/flavors'],
  vimSoap: ['POST', '/sdk', {
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:vim25/8.0.3.0"', cookie: `vmware_soap_session="${SESSION_PLACEHOLDER}"` },
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
      'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>' +
      '<AcquireTicket xmlns="urn:vim25"><_this type="VirtualMachine">vm-101</_this><ticketType>webmks</ticketType></AcquireTicket>' +
      '</soapenv:Body></soapenv:Envelope>',
  }],
  vimSoapVersions: ['GET', '/sdk/vimServiceVersions.xml'],
  vimSoapWsdl: ['GET', '/sdk/vimService.wsdl'],
  keystoneListVersions: ['GET', '/identity'],
  keystoneShowVersion: ['GET', '/identity/v3'],
  keystoneCreateToken: ['POST', '/identity/v3/auth/tokens', {
    body: {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'acme' }, password: 'acme-admin-pass' } } },
        scope: { project: { name: 'acme', domain: { name: 'acme' } } },
      },
    },
  }],
};

const functionsWithRoutes = new Set(routes.map((route) => route.functionName));
const missing = [...functionsWithRoutes].filter((name) => !SAMPLES[name]);
if (missing.length) throw new Error(`no sample request for: ${missing.join(', ')}`);

for (const name of readdirSync(folder).filter((file) => file.endsWith('.json'))) rmSync(`${folder}${name}`);
for (const [name, [method, path, options]] of Object.entries(SAMPLES)) {
  const built = buildEvent(method, path, { ...options, headers: { 'user-agent': 'curl/8.5.0', ...options?.headers } });
  if (!built || built.route.functionName !== name) throw new Error(`${name}: ${method} ${path} routes to ${built?.route.functionName}`);
  const event = { ...built.event, requestContext: { ...built.event.requestContext, requestId: `sample-${name}`, time: '24/Nov/2026:20:00:00 +0000', timeEpoch: 1795550400000 } };
  writeFileSync(`${folder}${name}.json`, `${JSON.stringify(event, null, 2)}\n`);
}
console.log(`wrote ${Object.keys(SAMPLES).length} sample events to events/`);
