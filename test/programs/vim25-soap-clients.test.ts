/**
 * vSphere's stock SOAP clients, unchanged, against the real handlers (test/support/http-server.ts over the
 * local DynamoDB, HTTPS as vCenter serves /sdk): pyVmomi (Debian's python3-pyvmomi) and govmomi (Debian's
 * golang-github-vmware-govmomi-dev, test/programs/govmomi/main.go built offline in GOPATH mode). Consoles open through
 * the real console proxy; guest programs run under a real guest agent. A client that is not installed is
 * skipped, saying so.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GuestAgent } from '../../agent/agent.js';
import { hashPassword } from '../../lib/protocol/secrets.js';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { api, OPERATOR } from '../support/api.js';
import { CONSOLE_PAGE_ORIGIN, createTenant, createVm, proxyConfig } from '../support/console-fixtures.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';

const PYTHON = '/usr/bin/python3';
const has = (path: string, what: string) => {
  const found = existsSync(path);
  if (!found) console.warn(`vim25-soap-clients: ${what} not installed (${path}); run scripts/install-e2e-deps.sh`);
  return found;
};
const pyvmomi = has('/usr/lib/python3/dist-packages/pyVmomi', 'python3-pyvmomi');
const GOPATH = '/usr/share/gocode';
const govmomi = has('/usr/bin/go', 'golang-go') && has(`${GOPATH}/src/github.com/vmware/govmomi/govc`.replace('/govc', '/find'), 'golang-github-vmware-govmomi-dev');

function run(command: string, args: string[], env: Record<string, string> = {}, cwd?: string): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'soap-client-'));
  return new Promise((resolve, reject) =>
    execFile(command, args, { cwd, env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', ...env }, timeout: 170_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args[0]?.startsWith('https:') ? '' : args.slice(0, 2).join(' ')}: ${stderr || error.message}\n${stdout}`)) : resolve(stdout),
    ),
  );
}
const python = async (program: string, ...args: string[]) => JSON.parse((await run(PYTHON, ['-c', program, ...args])).trim().split('\n').pop()!);

const RFB_VERSION = Buffer.from('RFB 003.008\n');
const REFUSED = 'The console ticket is not valid: it is unknown, expired or already used.';
const TICKET = /^[a-z0-9][a-z0-9-]*\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/;

let server: ApiServer;
let consoleProxy: ConsoleProxy;
let rfb: Server;
let rfbPort: number;
/** A tenant of this file's own: a VM whose console is `rfb`, another whose guest runs a real agent. */
let lab: string;
let agent: GuestAgent;
let work: string;

async function operator(method: string, path: string, body?: unknown) {
  const response = await api(method, `/operator/v1/tenants/${lab}${path}`, { headers: OPERATOR, body });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  return response.body;
}

beforeAll(async () => {
  server = await startApiServer({ tls: true });
  rfb = createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    socket.write(RFB_VERSION);
  }).listen(0, '127.0.0.1');
  await once(rfb, 'listening');
  rfbPort = (rfb.address() as { port: number }).port;
  // The console proxy and the agent call the API as they do in production; plain HTTP is enough for them.
  const plain = await startApiServer();
  consoleProxy = await startConsoleProxy(proxyConfig(plain.url));
  lab = await createTenant('soap');
  await operator('PUT', `/users/admin@${lab}`, { password: 'soap-admin-pass', privileges: (await import('../../lib/core/privileges.js')).PRIVILEGES });
  await createVm(lab, 'vm-1', rfbPort);
  await createVm(lab, 'vm-2', rfbPort);
  work = mkdtempSync(join(tmpdir(), 'soap-guest-'));
  const { credential } = (await operator('POST', '/vms/vm-2/agent-credentials')) as { credential: string };
  agent = new GuestAgent({
    apiUrl: plain.url,
    credential,
    accounts: [{ userName: 'demo', passwordHash: await hashPassword('demo-guest-pass'), home: work }],
    runAs: 'agent',
    pollIntervalMs: 20,
    maxPollIntervalMs: 80,
    heartbeatIntervalMs: 200,
    terminateGraceMs: 1000,
  });
  await agent.start();
  plainServer = plain;
});
let plainServer: ApiServer;

afterAll(async () => {
  await agent?.stop();
  await consoleProxy?.close();
  await plainServer?.close();
  await server?.close();
  rfb?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** What a console connection through the proxy gets first: the VM's RFB greeting, or the proxy's refusal. */
async function openConsole(path: string): Promise<{ data: Buffer } | { closed: string } | { status: number }> {
  const ws = new WebSocket(`${consoleProxy.url.replace('http', 'ws')}${path}`, { origin: CONSOLE_PAGE_ORIGIN });
  ws.on('error', () => undefined);
  const outcome = await new Promise<{ data: Buffer } | { closed: string } | { status: number }>((resolve) => {
    ws.once('message', (data: Buffer) => resolve({ data }));
    ws.once('unexpected-response', (_request, response) => resolve({ status: response.statusCode ?? 0 }));
    ws.once('close', (_code, reason) => resolve({ closed: reason.toString() }));
  });
  ws.close();
  return outcome;
}

const CONNECT = `
import sys, json, ssl
from urllib.parse import urlparse
from pyVim.connect import SmartConnect, Disconnect
from pyVmomi import vim, vmodl
url = urlparse(sys.argv[1])
def connect(user='admin@acme', pwd='acme-admin-pass'):
    return SmartConnect(protocol=url.scheme, host=url.hostname, port=url.port, user=user, pwd=pwd, sslContext=ssl._create_unverified_context())
def fault(call):
    try:
        call()
        return None
    except vmodl.MethodFault as error:
        return [type(error).__name__.split('.')[-1], error.msg]
`;

describe.skipIf(!pyvmomi)('pyVmomi (python3-pyvmomi 6.7.1)', () => {
  it('SmartConnect, a container view of the VMs with names and power states, FindByUuid, currentSession, Logout', async () => {
    const output = await python(
      `${CONNECT}
si = connect()
content = si.RetrieveContent()
view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
vms = sorted([[vm._moId, vm.name, vm.runtime.powerState, vm.config.instanceUuid, vm.summary.config.name] for vm in view.view])
view.DestroyView()
found = content.searchIndex.FindByUuid(None, '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101', True, True)
missing = content.searchIndex.FindByUuid(None, '7c9e6679-7425-40de-944b-e07fc1f90201', True, True)
by_path = content.searchIndex.FindByInventoryPath('acme/vm/db-01')
session = content.sessionManager.currentSession
stub = si._stub
result = dict(api=content.about.apiVersion, version=stub.versionId, user=session.userName, vms=vms,
              found=[found._moId, found.name], missing=missing, byPath=by_path._moId)
Disconnect(si)
result['afterLogout'] = fault(lambda: vim.VirtualMachine('vm-101', stub).name)
print(json.dumps(result))`,
      server.url,
    );
    expect(output).toEqual({
      api: '8.0.3.0',
      // pyVmomi 6.7.1's newest release: the versions document lists it among the prior versions.
      version: '"urn:vim25/6.7.1"',
      user: 'admin@acme',
      vms: [
        ['vm-101', 'web-01', 'poweredOn', '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101', 'web-01'],
        ['vm-102', 'db-01', 'poweredOff', '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9102', 'db-01'],
        ['vm-103', 'win-01', 'poweredOn', '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9103', 'win-01'],
      ],
      found: ['vm-101', 'web-01'],
      // globex's VM: another tenant's UUID finds nothing.
      missing: null,
      byPath: 'vm-102',
      afterLogout: ['NotAuthenticated', 'The session is not authenticated.'],
    });
  });

  it('a wrong password is InvalidLogin; another tenant\'s VM is ManagedObjectNotFound', async () => {
    const output = await python(
      `${CONNECT}
result = dict(login=fault(lambda: connect(pwd='wrong-password')))
si = connect()
other = vim.VirtualMachine('vm-201', si._stub)
result['ticket'] = fault(lambda: other.AcquireTicket('webmks'))
result['name'] = fault(lambda: other.name)
Disconnect(si)
print(json.dumps(result))`,
      server.url,
    );
    const notFound = ['ManagedObjectNotFound', "The object 'vim.VirtualMachine:vm-201' has already been deleted or has not been completely created"];
    expect(output).toEqual({
      login: ['InvalidLogin', 'Cannot complete login due to an incorrect user name or password.'],
      ticket: notFound,
      name: notFound,
    });
  });

  it("AcquireTicket('webmks') opens the console through the proxy, once; AcquireMksTicket", async () => {
    const output = await python(
      `${CONNECT}
si = connect(user=sys.argv[2], pwd='soap-admin-pass')
vm = si.content.searchIndex.FindByInventoryPath(sys.argv[3] + '/vm/vm-1-console')
ticket = vm.AcquireTicket('webmks')
mks = vm.AcquireMksTicket()
Disconnect(si)
print(json.dumps(dict(webmks=dict(ticket=ticket.ticket, host=ticket.host, port=ticket.port, cfgFile=ticket.cfgFile, sslThumbprint=ticket.sslThumbprint),
                      mks=dict(ticket=mks.ticket, host=mks.host, port=mks.port, cfgFile=mks.cfgFile))))`,
      server.url,
      `admin@${lab}`,
      lab,
    );
    const host = { host: 'esx-01.test', port: 443, cfgFile: '[datastore1] vm-1/vm-1.vmx' };
    expect(output).toEqual({
      webmks: { ticket: expect.stringMatching(TICKET), ...host, sslThumbprint: Array(20).fill('AB').join(':') },
      mks: { ticket: expect.stringMatching(TICKET), ...host },
    });
    // The HTML console SDK's URL for a webmks ticket (pyVmomi 6.7's VirtualMachineTicket has no `url` yet).
    expect(await openConsole(`/ticket/${output.webmks.ticket}`)).toEqual({ data: RFB_VERSION });
    expect(await openConsole(`/ticket/${output.webmks.ticket}`)).toEqual({ closed: REFUSED });
    // The mks ticket grants the console too, once.
    expect(await openConsole(`/ticket/${output.mks.ticket}`)).toEqual({ data: RFB_VERSION });
  });

  it('StartProgramInGuest, then ListProcessesInGuest shows its exit code', async () => {
    const output = await python(
      `${CONNECT}
import time
si = connect(user=sys.argv[2], pwd='soap-admin-pass')
vm = vim.VirtualMachine('vm-2', si._stub)
pm = si.content.guestOperationsManager.processManager
auth = vim.vm.guest.NamePasswordAuthentication(username='demo', password='demo-guest-pass')
spec = vim.vm.guest.ProcessManager.ProgramSpec(programPath='/bin/sh', arguments='-c "exit 7"')
pid = pm.StartProgramInGuest(vm, auth, spec)
for attempt in range(600):
    [info] = pm.ListProcessesInGuest(vm, auth, [pid])
    if info.exitCode is not None:
        break
    time.sleep(0.2)
bad = fault(lambda: pm.ListProcessesInGuest(vm, vim.vm.guest.NamePasswordAuthentication(username='demo', password='wrong'), []))
Disconnect(si)
print(json.dumps(dict(pid=pid, name=info.name, owner=info.owner, cmdLine=info.cmdLine, exitCode=info.exitCode, ended=info.endTime is not None, bad=bad[0])))`,
      server.url,
      `admin@${lab}`,
    );
    expect(output).toEqual({
      pid: expect.any(Number),
      name: 'sh',
      owner: 'demo',
      cmdLine: expect.stringContaining('/bin/sh'),
      exitCode: 7,
      ended: true,
      bad: 'InvalidGuestLogin',
    });
  });
});

describe.skipIf(!govmomi)('govmomi (golang-github-vmware-govmomi-dev)', () => {
  it('NewClient, Finder.VirtualMachine, AcquireTicket, AcquireMksTicket, the guest process manager, Logout', async () => {
    // GOPATH mode, offline: Debian's source tree is the whole GOPATH; the build cache persists between runs.
    const binary = join(tmpdir(), `govmomi-soap-client-${process.pid}`);
    const goEnv = { GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOPROXY: 'off', GOCACHE: join(tmpdir(), 'console-broker-gocache') };
    await run('/usr/bin/go', ['build', '-o', binary, join(import.meta.dirname, 'govmomi', 'main.go')], goEnv);
    const url = new URL('/sdk', server.url);
    url.username = encodeURIComponent(`admin@${lab}`);
    url.password = 'soap-admin-pass';
    const output = JSON.parse((await run(binary, [url.toString(), 'vm-1-console', 'vm-2-console', 'vm-201'])).trim());
    rmSync(binary, { force: true });
    const host = { host: 'esx-01.test', port: 443, cfgFile: '[datastore1] vm-1/vm-1.vmx', sslThumbprint: Array(20).fill('AB').join(':') };
    expect(output).toEqual({
      wrongPassword: 'types.InvalidLogin',
      apiVersion: '8.0.3.0',
      datacenter: `/${lab}`,
      found: ['vm-1', `/${lab}/vm/vm-1-console`],
      webmks: { Ticket: expect.stringMatching(TICKET), CfgFile: host.cfgFile, Host: host.host, Port: host.port, SslThumbprint: host.sslThumbprint, Url: `wss://esx-01.test:443/ticket/${output.webmks.Ticket}` },
      mks: { Ticket: expect.stringMatching(TICKET), CfgFile: host.cfgFile, Host: host.host, Port: host.port, SslThumbprint: host.sslThumbprint },
      otherTenant: 'types.ManagedObjectNotFound',
      process: { pid: true, name: 'sh', exitCode: 3, owner: 'demo' },
      currentTimeAfterLogout: '',
      findAfterLogout: 'types.NotAuthenticated',
    });
    expect(await openConsole(new URL(output.webmks.Url).pathname)).toEqual({ data: RFB_VERSION });
  }, 900_000);
});
