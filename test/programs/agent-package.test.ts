/**
 * The agent as a guest installs it: `npm run package:agent` builds the .deb, `dpkg -i` installs it on this
 * machine, and the INSTALLED agent (the unit's own ExecStart, with the packaged config file and credential
 * file) runs against `npm start`'s stack (test/support/local-stack.ts): it starts while the API is down and
 * enrols once it is up, runs a guest process as the guest account's OS user, comes back by itself after the
 * API was gone for a while, survives an upgrade with its credential, and is removed and purged cleanly.
 * systemd is not PID 1 here, so the test starts the unit's ExecStart as systemd would and stops it with
 * SIGTERM; `systemd-analyze verify` checks the unit itself.
 *
 * The install is the machine's own (dpkg's database): the test purges any earlier one first and purges its
 * own at the end, so it can run again and again. Needs root (dpkg -i); skipped only where dpkg-deb is missing.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../lib/protocol/secrets.js';
import { freePorts } from '../../scripts/local-dynamodb.js';
import { labVmSpec } from '../support/lab.js';
import { startStack, type Stack } from '../support/local-stack.js';
import { stackClient } from '../support/stack-client.js';
import { tcpSwitch } from '../support/tcp-switch.js';
import { eventually } from '../support/wait.js';

const PACKAGE = 'console-broker-agent';
const UNIT = `/lib/systemd/system/${PACKAGE}.service`;
const CONF = `/etc/${PACKAGE}`;
const hasDpkgDeb = spawnSync('dpkg-deb', ['--version']).status === 0;
if (!hasDpkgDeb) console.warn(`test/programs/agent-package.test.ts skipped: dpkg-deb is missing (apt-get install dpkg-dev or dpkg), so no .deb can be built`);

const tenant = `pkg-${randomBytes(3).toString('hex')}`;
const OPERATOR = { authorization: 'Bearer demo-operator-key' };
const GOOD = { type: 'USERNAME_PASSWORD', user_name: 'demo', password: 'demo-guest-pass', interactive_session: false };
const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
/** The upgrade: the next patch version (VMware's version_number encodes x.y.z). */
const upgradeVersion = version.replace(/(\d+)$/, (patch) => String(Number(patch) + 1));
const versionNumber = (v: string) => {
  const [major, minor, patch] = v.split('.').map(Number) as [number, number, number];
  return major * 1024 + minor * 32 + patch;
};

let stack: Stack;
let work: string;
let admin: Record<string, string>;
const cleanups: (() => unknown)[] = [];

const dpkg = (...args: string[]) => execFileSync('dpkg', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const installedVersion = () => spawnSync('dpkg-query', ['-W', '-f=${Status} ${Version}', PACKAGE], { encoding: 'utf8' }).stdout;
const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8).padStart(4, '0');

const { call, operator: operatorOf } = stackClient(() => stack.url);
const operator = (method: string, path: string, body?: unknown) => operatorOf(tenant, method, path, body);

/** The installed agent, started as the unit's ExecStart (systemd's environment: a bare PATH, cwd /). */
function startInstalledAgent(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const execStart = /^ExecStart=(.+)$/m.exec(readFileSync(UNIT, 'utf8'))![1]!.split(/\s+/);
  const child = spawn(execStart[0]!, execStart.slice(1), {
    cwd: '/',
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(() => child.kill('SIGKILL'));
  return { child, output: () => output, exited };
}

/** Each JSON log line of the agent whose message starts with `prefix`. */
const logLines = (output: string, prefix: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { message: string; [field: string]: unknown })
    .filter((line) => line.message.startsWith(prefix));

const createProcess = (spec: Record<string, unknown>) =>
  call('POST', '/api/vcenter/vm/vm-pkg/guest/processes?action=create', { headers: admin, body: { credentials: GOOD, spec } });

/** A program that exits 0 only when it runs as the OS user `nobody`: the guest account's own user, not root. */
const asNobody = { path: '/bin/sh', arguments: `-c '[ "$(id -un)" = nobody ]'`, working_directory: '/' };

async function finishedExitCode(pid: number): Promise<unknown> {
  const info = await eventually(async () => {
    const response = await call('POST', `/api/vcenter/vm/vm-pkg/guest/processes/${pid}?action=get`, { headers: admin, body: { credentials: GOOD } });
    return response.body?.finished ? response.body : undefined;
  }, `process ${pid} finished`);
  return info;
}

const purge = () => {
  if (installedVersion().startsWith('install ok')) dpkg('--purge', PACKAGE);
};

describe.skipIf(!hasDpkgDeb)('the agent package (dpkg-deb), installed and run as its unit would', () => {
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('This test installs a .deb (dpkg -i) on this machine: run it as root (CI does).');
    work = mkdtempSync(join(tmpdir(), 'agent-package-'));
    // Idempotent: an earlier run that died midway left its install behind.
    purge();
    stack = await startStack();
    await operator('PUT', '', { displayName: 'Agent package tests' });
    await operator('PUT', `/users/admin@${tenant}`, {
      password: 'pkg-admin-pass',
      privileges: ['VirtualMachine.GuestOperations.Execute', 'VirtualMachine.GuestOperations.Query'],
    });
    await operator('PUT', '/vms/vm-pkg', labVmSpec('vm-pkg'));
    const login = await call('POST', '/api/session', { headers: { authorization: `Basic ${Buffer.from(`admin@${tenant}:pkg-admin-pass`).toString('base64')}` } });
    admin = { 'vmware-api-session-id': login.body as string };
  }, 300_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    if (hasDpkgDeb && process.getuid?.() === 0) purge();
    await call('DELETE', `/operator/v1/tenants/${tenant}`, { headers: OPERATOR }).catch(() => undefined);
    stack?.kill();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('builds, installs, runs a guest process, comes back after the API was gone, upgrades keeping its credential, and uninstalls', async () => {
    // 1. Built by the npm script, as CI and a release do.
    const built = execFileSync('npm', ['run', '--silent', 'package:agent', '--', '--out', work], { encoding: 'utf8' });
    const deb = join(work, `${PACKAGE}_${version}_all.deb`);
    expect(built).toContain(deb);
    expect(execFileSync('dpkg-deb', ['-f', deb, 'Package', 'Version', 'Architecture', 'Depends'], { encoding: 'utf8' })).toBe(
      `Package: ${PACKAGE}\nVersion: ${version}\nArchitecture: all\nDepends: nodejs (>= 18), util-linux, init-system-helpers (>= 1.54)\n`,
    );

    // 2. Installed: root-only config, a unit systemd accepts.
    dpkg('-i', deb);
    expect(installedVersion()).toBe(`install ok installed ${version}`);
    expect(execFileSync(`/usr/sbin/${PACKAGE}`, ['--version'], { encoding: 'utf8' })).toBe(`${version}\n`);
    expect([mode(CONF), mode(`${CONF}/agent.json`)]).toEqual(['0700', '0600']);
    expect(statSync(`${CONF}/agent.json`).uid).toBe(0);
    const unit = readFileSync(UNIT, 'utf8');
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^KillMode=process$/m);
    expect(unit).not.toMatch(/^(NoNewPrivileges|PrivateTmp|ProtectHome|ProtectSystem|CapabilityBoundingSet)=/m);
    if (spawnSync('systemd-analyze', ['--version']).status === 0) {
      const verified = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
      expect(verified.stderr + verified.stdout, 'systemd-analyze verify').toBe('');
      expect(verified.status).toBe(0);
    }

    // 3. Configured as docs/agent.md says: the API URL and the guest account in agent.json, the credential in its own file.
    const [httpPort, websocketPort] = (await freePorts(2)) as [number, number];
    const http = tcpSwitch(httpPort, stack.ports[0]!);
    const websocket = tcpSwitch(websocketPort, stack.ports[5]!);
    cleanups.push(() => http.off(), () => websocket.off());
    const credential = ((await operator('POST', '/vms/vm-pkg/agent-credentials')) as { credential: string }).credential;
    writeFileSync(`${CONF}/credential`, `${credential}\n`, { mode: 0o600 });
    const config = {
      ...JSON.parse(readFileSync(`${CONF}/agent.json`, 'utf8')),
      apiUrl: `http://127.0.0.1:${httpPort}`,
      websocketUrl: `ws://127.0.0.1:${websocketPort}`,
      accounts: [{ userName: 'demo', passwordHash: await hashPassword('demo-guest-pass'), osUser: 'nobody' }],
    };
    writeFileSync(`${CONF}/agent.json`, JSON.stringify(config, null, 2));

    // 4. Started while the API is down: it keeps trying, says why, and enrols once the API is there.
    let agent = startInstalledAgent();
    await eventually(() => logLines(agent.output(), 'could not reach the API to enrol; retrying in').length >= 2, 'enrolment retried while the API is down');
    expect(logLines(agent.output(), 'could not reach the API to enrol')[0]).toMatchObject({ reason: 'fetch failed (ECONNREFUSED)' });
    expect(agent.child.exitCode).toBeNull();
    await http.on();
    await websocket.on();
    await eventually(() => logLines(agent.output(), 'work is pushed over the WebSocket').length > 0, 'the installed agent connected');
    expect(logLines(agent.output(), 'enrolled')[0]).toMatchObject({ tenantId: tenant, moId: 'vm-pkg', agentVersion: version });
    expect(logLines(agent.output(), "each guest account's programs run as its own OS user").length).toBe(1);

    // 5. A guest process through it, run as the guest account's OS user; the tools endpoint shows the packaged version.
    const created = await createProcess(asNobody);
    expect(created.status, created.text).toBe(200);
    expect(await finishedExitCode(created.body as number)).toEqual({
      name: 'sh',
      owner: 'demo',
      command: `/bin/sh -c '[ "$(id -un)" = nobody ]'`,
      started: iso,
      finished: iso,
      exit_code: 0,
    });
    const tools = await call('GET', '/api/vcenter/vm/vm-pkg/tools', { headers: admin });
    expect(tools.body).toEqual({
      auto_update_supported: false,
      upgrade_policy: 'MANUAL',
      run_state: 'RUNNING',
      version,
      version_number: versionNumber(version),
    });

    // 6. The API gone for a while: the agent loses its connection, fails to reopen it, and comes back by itself.
    await http.off();
    await websocket.off();
    await eventually(() => logLines(agent.output(), 'could not open the WebSocket').some((line) => line.failures === 3), 'three failed reconnects');
    await http.on();
    await websocket.on();
    const after = await eventually(async () => {
      const response = await createProcess(asNobody);
      return response.status === 200 ? response : undefined;
    }, 'a guest process after the API came back');
    expect(await finishedExitCode(after.body as number)).toMatchObject({ exit_code: 0 });
    expect(agent.child.exitCode).toBeNull();

    // 7. An upgrade: the newer package over the running one; systemd would restart the unit (postinst), the
    //    test does what it would. The credential and agent.json stay; the new version enrols and reports itself.
    execFileSync('npm', ['run', '--silent', 'package:agent', '--', '--out', work, '--version', upgradeVersion], { encoding: 'utf8' });
    dpkg('-i', join(work, `${PACKAGE}_${upgradeVersion}_all.deb`));
    expect(installedVersion()).toBe(`install ok installed ${upgradeVersion}`);
    expect(readFileSync(`${CONF}/credential`, 'utf8')).toBe(`${credential}\n`);
    expect(mode(`${CONF}/credential`)).toBe('0600');
    expect(JSON.parse(readFileSync(`${CONF}/agent.json`, 'utf8'))).toEqual(config);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    agent = startInstalledAgent();
    await eventually(() => logLines(agent.output(), 'work is pushed over the WebSocket').length > 0, 'the upgraded agent connected', { timeoutMs: 120_000 });
    expect(logLines(agent.output(), 'enrolled')[0]).toMatchObject({ agentVersion: upgradeVersion });
    const upgraded = await eventually(async () => {
      const response = await call('GET', '/api/vcenter/vm/vm-pkg/tools', { headers: admin });
      return response.body?.version === upgradeVersion ? response.body : undefined;
    }, 'the tools endpoint shows the new version');
    expect(upgraded).toEqual({ auto_update_supported: false, upgrade_policy: 'MANUAL', run_state: 'RUNNING', version: upgradeVersion, version_number: versionNumber(upgradeVersion) });
    const third = await createProcess(asNobody);
    expect(third.status, third.text).toBe(200);
    expect(await finishedExitCode(third.body as number)).toMatchObject({ exit_code: 0 });

    // 8. Uninstalled: remove keeps the configuration, purge removes it and the credential.
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    dpkg('-r', PACKAGE);
    expect(existsSync(`/usr/lib/${PACKAGE}`)).toBe(false);
    expect(existsSync(UNIT)).toBe(false);
    expect(existsSync(`${CONF}/credential`)).toBe(true);
    dpkg('--purge', PACKAGE);
    expect(existsSync(CONF)).toBe(false);
    expect(installedVersion()).not.toMatch(/^install ok/);
  }, 600_000);
});
