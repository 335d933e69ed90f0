/**
 * vSphere's stock SOAP clients, unchanged, against the real handlers (test/support/http-server.ts over the
 * local DynamoDB): pyVmomi (Debian's python3-pyvmomi) and govmomi (Debian's golang-github-vmware-govmomi-dev,
 * a small program built offline in GOPATH mode). A client that is not installed is skipped, saying so.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from './support/http-server.js';

const PYTHON = '/usr/bin/python3';
const has = (path: string, what: string) => {
  const found = existsSync(path);
  if (!found) console.warn(`vim25-soap-clients: ${what} not installed (${path}); run scripts/install-e2e-deps.sh`);
  return found;
};
const pyvmomi = has('/usr/lib/python3/dist-packages/pyVmomi', 'python3-pyvmomi');

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'soap-client-'));
  return new Promise((resolve, reject) =>
    execFile(command, args, { env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', ...env }, timeout: 170_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.slice(0, 2).join(' ')}: ${stderr || error.message}\n${stdout}`)) : resolve(stdout),
    ),
  );
}
const python = async (program: string, ...args: string[]) => JSON.parse((await run(PYTHON, ['-c', program, ...args])).trim().split('\n').pop()!);

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer({ tls: true });
});
afterAll(async () => {
  await server?.close();
});

const CONNECT = `
import sys, json, ssl
from urllib.parse import urlparse
from pyVim.connect import SmartConnect, Disconnect
from pyVmomi import vim, vmodl
url = urlparse(sys.argv[1])
def connect(user='admin@acme', pwd='acme-admin-pass'):
    return SmartConnect(protocol=url.scheme, host=url.hostname, port=url.port, user=user, pwd=pwd, sslContext=ssl._create_unverified_context())
`;

describe.skipIf(!pyvmomi)('pyVmomi (python3-pyvmomi)', () => {
  it('SmartConnect, a container view of the VMs with names and power states, FindByUuid, Logout', async () => {
    const output = await python(
      `${CONNECT}
si = connect()
content = si.RetrieveContent()
view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
vms = sorted([(vm.name, vm.runtime.powerState) for vm in view.view])
view.DestroyView()
found = content.searchIndex.FindByUuid(None, '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101', True, True)
result = dict(about=content.about.apiVersion, user=content.sessionManager.currentSession and 1, vms=vms, found=found._moId, name=found.name, version=si._stub.versionId)
Disconnect(si)
print(json.dumps(result))`,
      server.url,
    );
    expect(output).toEqual({});
  });
});
