/**
 * pyVmomi, unchanged, against the real `npm start` (serverless-offline behind its https front door, the console
 * proxy, the demo screens, the demo guest agent of acme/vm-101): the SOAP endpoint as a tenant reaches it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startStack, type Stack } from '../support/local-stack.js';

const pyvmomi = existsSync('/usr/lib/python3/dist-packages/pyVmomi');
if (!pyvmomi) console.warn('vim25-soap-stack: python3-pyvmomi not installed; run scripts/install-e2e-deps.sh');

const python = (program: string, ...args: string[]) =>
  new Promise<any>((resolve, reject) =>
    execFile('/usr/bin/python3', ['-c', program, ...args], { env: { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'soap-stack-')), LANG: 'C.UTF-8' }, timeout: 170_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`pyVmomi: ${stderr || error.message}\n${stdout}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!)),
    ),
  );

const PROGRAM = `
import sys, json, ssl, time
from urllib.parse import urlparse
from pyVim.connect import SmartConnect, Disconnect
from pyVmomi import vim, vmodl
url = urlparse(sys.argv[1])
def connect(pwd='acme-admin-pass'):
    return SmartConnect(protocol='https', host=url.hostname, port=url.port, user='admin@acme', pwd=pwd, sslContext=ssl._create_unverified_context())
def fault(call):
    try:
        call()
        return None
    except vmodl.MethodFault as error:
        return type(error).__name__.split('.')[-1]
result = dict(wrongPassword=fault(lambda: connect('wrong-password')))
si = connect()
content = si.RetrieveContent()
view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
result['vms'] = sorted([[vm.name, vm.runtime.powerState, vm.guest.toolsRunningStatus] for vm in view.view])
view.DestroyView()
vm = content.searchIndex.FindByUuid(None, '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101', True, True)
ticket = vm.AcquireTicket('webmks')
result['webmks'] = dict(ticket=ticket.ticket, host=ticket.host, port=ticket.port)
result['mks'] = vm.AcquireMksTicket().ticket is not None
result['otherTenant'] = fault(lambda: vim.VirtualMachine('vm-201', si._stub).AcquireTicket('webmks'))
pm = content.guestOperationsManager.processManager
auth = vim.vm.guest.NamePasswordAuthentication(username='demo', password='demo-guest-pass')
pid = pm.StartProgramInGuest(vm, auth, vim.vm.guest.ProcessManager.ProgramSpec(programPath='/bin/sh', arguments='-c "exit 5"'))
for attempt in range(600):
    [info] = pm.ListProcessesInGuest(vm, auth, [pid])
    if info.exitCode is not None:
        break
    time.sleep(0.2)
result['process'] = [info.name, info.exitCode]
Disconnect(si)
print(json.dumps(result))`;

describe.skipIf(!pyvmomi)('pyVmomi against npm start', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 300_000);
  afterAll(async () => {
    if (!stack) return;
    stack.child.kill('SIGTERM');
    await stack.exited;
  }, 60_000);

  it('SmartConnect over https, a container view, FindByUuid, a webmks ticket that opens web-01\'s screen, the demo agent runs a program', async () => {
    const output = await python(PROGRAM, stack.httpsUrl);
    expect(output).toEqual({
      wrongPassword: 'InvalidLogin',
      vms: [
        ['db-01', 'poweredOff', 'guestToolsNotRunning'],
        ['web-01', 'poweredOn', 'guestToolsRunning'],
        ['win-01', 'poweredOn', 'guestToolsNotRunning'],
      ],
      // The demo VMs' "ESX host" is the console proxy at its default address; this stack runs it on a free port.
      webmks: { ticket: expect.stringMatching(/^acme\./), host: '127.0.0.1', port: 6080 },
      mks: true,
      otherTenant: 'ManagedObjectNotFound',
      process: ['sh', 5],
    });
    // The HTML Console SDK's URL for the ticket (`/ticket/<ticket>`), on this stack's console proxy.
    const origin = `http://127.0.0.1:${stack.ports[4]}`;
    const ws = new WebSocket(`ws://127.0.0.1:${stack.ports[4]}/ticket/${output.webmks.ticket}`, { origin });
    ws.on('error', () => undefined);
    const first = await new Promise<string>((resolve) => {
      ws.once('message', (data: Buffer) => resolve(data.toString('latin1')));
      ws.once('close', (code, reason) => resolve(`closed ${code} ${reason}`));
      ws.once('unexpected-response', (_request, response) => resolve(`refused ${response.statusCode}`));
    });
    ws.close();
    expect(first).toBe('RFB 003.008\n');
  }, 300_000);
});
