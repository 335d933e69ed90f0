/**
 * Guest accounts isolated by the guest OS, as VMware Tools does on Linux: a real agent process (agent/main.ts)
 * runs as root with two guest accounts mapped to two OS users created here, and talks HTTP to the real
 * handlers against the local DynamoDB. The OS users are kept afterwards: creating them is idempotent, and
 * another run may be using them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../lib/protocol/secrets.js';
import { api, loginVcenter, OPERATOR, session } from '../support/api.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';
import { labVmSpec } from '../support/lab.js';
import { eventually } from '../support/wait.js';

const isRoot = process.getuid?.() === 0;
const ALICE = 'cb-guest-alice';
const BOB = 'cb-guest-bob';
const SHARED_GROUP = 'cb-guest-shared';
const tenant = `iso-${randomBytes(3).toString('hex')}`;
const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const credentialsOf = (user: string) => ({ type: 'USERNAME_PASSWORD', user_name: user, password: `${user}-guest-pass`, interactive_session: false });
const vapiError = (type: string, message: string) => ({
  error_type: type.toUpperCase(),
  messages: [{ args: [], default_message: message, id: `com.vmware.vapi.std.errors.${type}` }],
});

/** Runs a root tool; exit code 9 of useradd/groupadd means "already exists" (a concurrent run made it). */
function ensure(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
  } catch (error) {
    if ((error as { status?: number }).status !== 9) throw error;
  }
}

function ensureOsUser(name: string): void {
  const exists = (() => {
    try {
      execFileSync('id', ['-u', name], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  })();
  if (!exists) ensure('useradd', ['--create-home', '--shell', '/bin/bash', '--groups', SHARED_GROUP, name]);
  execFileSync('usermod', ['--append', '--groups', SHARED_GROUP, name]);
  chmodSync(`/home/${name}`, 0o700);
}

const uidOf = (name: string) => Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());

let server: ApiServer;
let admin: Record<string, string>;
let secrets: string;
let agent: ChildProcess;
let credential: string;
const agentLog: string[] = [];

async function operator(method: string, path: string, body?: unknown) {
  const response = await api(method, `/operator/v1/tenants/${tenant}${path}`, { headers: OPERATOR, body });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  return response.body;
}

const create = (user: string, spec: Record<string, unknown>) =>
  api('POST', '/api/vcenter/vm/vm-1/guest/processes?action=create', { headers: admin, body: { credentials: credentialsOf(user), spec } });
const processOf = (user: string, pid: number, action: string) =>
  api('POST', `/api/vcenter/vm/vm-1/guest/processes/${pid}?action=${action}`, { headers: admin, body: { credentials: credentialsOf(user) } });

async function start(user: string, spec: Record<string, unknown>): Promise<number> {
  const response = await create(user, spec);
  expect(response.status, response.text).toBe(200);
  return response.body as number;
}

/** Runs a program to its end and answers its exit code, as the API reports it. */
async function exitCodeOf(user: string, spec: Record<string, unknown>): Promise<number> {
  const pid = await start(user, spec);
  return eventually(async () => {
    const response = await processOf(user, pid, 'get');
    expect(response.status, response.text).toBe(200);
    return response.body.finished ? (response.body.exit_code as number) : undefined;
  }, `process ${pid} of ${user} to finish`);
}

describe.skipIf(!isRoot)('guest accounts as OS users (needs root: creates OS users and runs the agent as root)', () => {
  beforeAll(async () => {
    ensure('groupadd', [SHARED_GROUP]);
    ensureOsUser(ALICE);
    ensureOsUser(BOB);
    server = await startApiServer();
    await operator('PUT', '', { displayName: 'Guest isolation tests' });
    await operator('PUT', `/users/admin@${tenant}`, {
      password: 'iso-admin-pass',
      privileges: ['VirtualMachine.GuestOperations.Execute', 'VirtualMachine.GuestOperations.Query'],
    });
    await operator('PUT', '/vms/vm-1', labVmSpec('vm-1', { powerState: 'poweredOn', guestOsFamily: 'linux' }));
    admin = session(await loginVcenter(`admin@${tenant}`, 'iso-admin-pass'));
    credential = ((await operator('POST', '/vms/vm-1/agent-credentials')) as { credential: string }).credential;

    secrets = mkdtempSync(join(tmpdir(), 'agent-secrets-'));
    writeFileSync(join(secrets, 'credential'), `${credential}\n`, { mode: 0o600 });
    const accounts = [
      { userName: 'alice', osUser: ALICE, passwordHash: await hashPassword('alice-guest-pass') },
      { userName: 'bob', osUser: BOB, passwordHash: await hashPassword('bob-guest-pass') },
      { userName: 'ghost', osUser: 'cb-guest-nobody', passwordHash: await hashPassword('ghost-guest-pass') },
    ];
    const config = {
      apiUrl: server.url,
      credentialFile: join(secrets, 'credential'),
      accounts,
      pollIntervalMs: 20,
      maxPollIntervalMs: 80,
      heartbeatIntervalMs: 200,
      terminateGraceMs: 1000,
    };
    writeFileSync(join(secrets, 'agent.json'), JSON.stringify(config));
    agent = spawn(process.execPath, ['--import', 'tsx', 'agent/main.ts', join(secrets, 'agent.json')], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [agent.stdout!, agent.stderr!]) {
      stream.setEncoding('utf8').on('data', (chunk: string) => agentLog.push(...chunk.split('\n').filter(Boolean)));
    }
    await eventually(() => agentLog.some((line) => line.includes('"message":"enrolled"')), 'the agent to enrol').catch((error: Error) => {
      throw new Error(`${error.message}; agent log:\n${agentLog.join('\n')}`);
    });
  });

  afterAll(async () => {
    if (agent?.exitCode === null) {
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
    await server?.close();
    if (secrets) rmSync(secrets, { recursive: true, force: true });
    await api('DELETE', `/operator/v1/tenants/${tenant}`, { headers: OPERATOR });
  });

  it('says at start that each account runs as its own OS user, and keeps the credential out of its environment and log', () => {
    expect(agentLog.map((line) => JSON.parse(line).message)).toContain("each guest account's programs run as its own OS user (uid, gid, groups, home)");
    expect(readFileSync(`/proc/${agent.pid}/environ`, 'utf8')).not.toContain(credential.split('.').at(-1));
    expect(agentLog.join('\n')).not.toContain(credential.split('.').at(-1));
  });

  it("runs a program as the account's OS user: uid, gid, supplementary groups, home as cwd, a login environment", async () => {
    rmSync(`/home/${ALICE}/whoami.txt`, { force: true }); // the users' homes outlive a run
    expect(await exitCodeOf('alice', { path: '/bin/bash', arguments: "-c 'id -un; id -gn; id -Gn; pwd; env' > whoami.txt" })).toBe(0);
    const [user, group, groups, cwd, ...env] = readFileSync(`/home/${ALICE}/whoami.txt`, 'utf8').trim().split('\n');
    expect({ user, group, groups: groups!.split(' ').sort(), cwd }).toEqual({
      user: ALICE,
      group: ALICE,
      groups: [ALICE, SHARED_GROUP].sort(),
      cwd: `/home/${ALICE}`,
    });
    // bash itself adds PWD, SHLVL, _ (and OLDPWD); nothing of the agent's environment reaches the program.
    expect(env.filter((line) => !/^(PWD|SHLVL|_|OLDPWD)=/.test(line)).sort()).toEqual([
      `HOME=/home/${ALICE}`,
      `LOGNAME=${ALICE}`,
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'SHELL=/bin/bash',
      `USER=${ALICE}`,
    ]);
    expect(statSync(`/home/${ALICE}/whoami.txt`).uid).toBe(uidOf(ALICE));
  });

  it("a program can read neither the agent's credential file nor its environment", async () => {
    const credentialFile = join(secrets, 'credential');
    expect(readFileSync(credentialFile, 'utf8')).toContain(credential); // root can: the attempts below are real
    expect(await exitCodeOf('bob', { path: '/bin/cat', arguments: `${credentialFile} > stolen.txt` })).toBe(1);
    expect(await exitCodeOf('bob', { path: '/bin/cat', arguments: `/proc/${agent.pid}/environ > stolen.txt` })).toBe(1);
    // The program's parent is the agent itself (no wrapper in between), and that is no more readable.
    expect(await exitCodeOf('bob', { path: '/bin/bash', arguments: `-c 'test "$PPID" = ${agent.pid} && ! cat /proc/$PPID/environ'` })).toBe(0);
    expect(await exitCodeOf('bob', { path: '/bin/cat', arguments: `/proc/${agent.pid}/cmdline > ok.txt` })).toBe(0);
  });

  it("a program cannot signal another account's program; the API's pid and owner are the real ones", async () => {
    const pid = await start('alice', { path: '/bin/sleep', arguments: '60' });
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^Name:\s+sleep$/m);
    expect(status).toMatch(new RegExp(`^Uid:\\s+${uidOf(ALICE)}\\s+${uidOf(ALICE)}\\s`, 'm'));
    expect((await processOf('alice', pid, 'get')).body).toEqual({ name: 'sleep', owner: 'alice', command: '/bin/sleep 60', started: iso });

    expect(await exitCodeOf('bob', { path: '/bin/kill', arguments: `-TERM ${pid}` })).toBe(1);
    expect(await exitCodeOf('bob', { path: '/bin/kill', arguments: `-KILL -- -${pid}` })).toBe(1); // its process group
    expect(await exitCodeOf('alice', { path: '/bin/kill', arguments: `-0 ${pid}` })).toBe(0); // its own account may
    expect((await processOf('alice', pid, 'get')).body.finished).toBeUndefined();

    const refused = await processOf('bob', pid, 'delete');
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual(vapiError('unauthorized', 'The guest credentials do not permit this operation.'));
    expect((await processOf('alice', pid, 'delete')).status).toBe(204);
    const ended = await eventually(async () => {
      const response = await processOf('alice', pid, 'get');
      return response.body.finished ? response : undefined;
    }, 'the ended program to be reported');
    expect(ended.body).toEqual({ name: 'sleep', owner: 'alice', command: '/bin/sleep 60', started: iso, finished: iso, exit_code: 143 });
  });

  it("checks the program and working directory as the account's user, not as root", async () => {
    const script = `/home/${ALICE}/private.sh`;
    writeFileSync(script, '#!/bin/bash\necho private\n', { mode: 0o755 });
    const path = await create('bob', { path: script });
    expect(path.status).toBe(403);
    expect(path.body).toEqual(vapiError('unauthorized', 'The program path cannot be accessed in the guest.'));
    const directory = await create('bob', { path: '/bin/true', working_directory: `/home/${ALICE}` });
    expect(directory.status).toBe(500);
    expect(directory.body).toEqual(vapiError('unable_to_allocate_resource', 'The program could not be started in the guest.'));
    expect(await exitCodeOf('alice', { path: script, arguments: '> private.txt' })).toBe(0);
  });

  it('refuses to start programs for an account whose OS user does not exist', async () => {
    const response = await create('ghost', { path: '/bin/true' });
    expect(response.status).toBe(500);
    expect(response.body).toEqual(vapiError('unable_to_allocate_resource', 'The program could not be started in the guest.'));
    expect(agentLog.some((line) => line.includes('the OS user of the guest account does not exist'))).toBe(true);
  });
});
