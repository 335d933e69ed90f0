/**
 * Stock OpenStack clients against this service: the real `openstack` (python-openstackclient) and `nova`
 * (python-novaclient) command lines, installed from Debian by scripts/install-e2e-deps.sh, talking HTTP to
 * the real handlers. They skip (saying why) only where those clients are not installed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, CONSOLE_PROXY, loginVcenter } from '../support/api.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';

const OPENSTACK = '/usr/bin/openstack';
const NOVA = '/usr/bin/nova';
const installed = existsSync(OPENSTACK) && existsSync(NOVA);
if (!installed) console.warn('openstack-cli tests skipped: run scripts/install-e2e-deps.sh to install the OpenStack clients');

const WEB_01 = '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101';
const NOVNC_URL = /^http:\/\/127\.0\.0\.1:6080\/vnc_auto\.html\?path=%3Ftoken%3D(acme\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43})$/;

/** Runs a client with a clean environment (no OS_* variables, no clouds.yaml). */
function run(command: string, args: string[]): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'os-cli-'));
  return new Promise((resolve, reject) =>
    execFile(command, args, { env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8' }, timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    ),
  );
}

const keystone = (server: ApiServer) => [
  '--os-auth-url', `${server.url}/identity/v3`,
  '--os-username', 'admin', '--os-user-domain-name', 'acme', '--os-password', 'acme-admin-pass',
  '--os-project-name', 'acme', '--os-project-domain-name', 'acme',
];

/** The console token in a URL redeems exactly once, as the console proxy would redeem it. */
async function expectRedeemableOnce(url: string): Promise<void> {
  const token = NOVNC_URL.exec(url)![1]!;
  const redeem = () => api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket: token } });
  expect((await redeem()).body).toMatchObject({ tenantId: 'acme', instanceUuid: WEB_01, vnc: { host: '127.0.0.1', port: 5901 } });
  expect((await redeem()).status).toBe(404);
}

describe.skipIf(!installed)('stock OpenStack clients', () => {
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('openstack console url show, with Keystone password authentication and the service catalog', async () => {
    const output = JSON.parse(await run(OPENSTACK, [...keystone(server), 'console', 'url', 'show', '--novnc', 'web-01', '-f', 'json']));
    expect(output).toEqual({ protocol: 'vnc', type: 'novnc', url: expect.stringMatching(NOVNC_URL) });
    await expectRedeemableOnce(output.url);
  }, 90_000);

  it('openstack with a plain token against the compute endpoint: server list and console url show', async () => {
    const token = await loginVcenter();
    const auth = ['--os-auth-type', 'admin_token', '--os-token', token, '--os-endpoint', `${server.url}/compute/v2.1`];
    const servers = JSON.parse(await run(OPENSTACK, [...auth, 'server', 'list', '-f', 'json']));
    expect(servers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ID: WEB_01, Name: 'web-01', Status: 'ACTIVE' }),
        expect.objectContaining({ Name: 'db-01', Status: 'SHUTOFF' }),
      ]),
    );
    expect(servers.map((entry: { Name: string }) => entry.Name)).not.toContain('app-01');
    const output = JSON.parse(await run(OPENSTACK, [...auth, 'console', 'url', 'show', '--novnc', 'web-01', '-f', 'json']));
    await expectRedeemableOnce(output.url);
  }, 90_000);

  it('nova get-vnc-console, with Keystone', async () => {
    const output = await run(NOVA, [...keystone(server), 'get-vnc-console', 'web-01', 'novnc']);
    const url = /\| novnc \| (\S+) +\|/.exec(output)?.[1];
    expect(url, output).toMatch(NOVNC_URL);
    await expectRedeemableOnce(url!);
  }, 90_000);

  it('refuses another tenant\'s server to the client as Nova would: not found', async () => {
    const token = await loginVcenter();
    const auth = ['--os-auth-type', 'admin_token', '--os-token', token, '--os-endpoint', `${server.url}/compute/v2.1`];
    await expect(run(OPENSTACK, [...auth, 'console', 'url', 'show', '--novnc', 'app-01'])).rejects.toThrow(/No Server found for app-01/);
  }, 90_000);
});
