/**
 * Guest processes end to end: a real guest agent (agent/agent.ts) talks HTTP to the real handlers (through
 * test/support/http-server.ts) against the local DynamoDB, and really starts programs on this machine.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GuestAgent } from '../../agent/agent.js';
import { advanceClock, resetClock } from '../../lib/core/clock.js';
import { hashPassword } from '../../lib/protocol/secrets.js';
import { countRoundTrips } from '../support/store-instrumentation.js';
import { guestFailuresOf, listWorkIds } from '../../lib/store/guest.js';
import { getItem } from '../../lib/store/items.js';
import { userNameHashOf } from '../../lib/core/guest/guest-user.js';
import { scanTable } from '../support/table.js';
import { api, loginVcenter, OPERATOR, session } from '../support/api.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';
import { labVmSpec } from '../support/lab.js';
import { eventually } from '../support/wait.js';

const tenant = `guest-${randomBytes(3).toString('hex')}`;
const GOOD = { type: 'USERNAME_PASSWORD', user_name: 'demo', password: 'demo-guest-pass', interactive_session: false };
const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

let server: ApiServer;
let work: string;
let admin: Record<string, string>;
const agents: GuestAgent[] = [];

const vapiError = (type: string, message: string) => ({
  error_type: type.toUpperCase(),
  messages: [{ args: [], default_message: message, id: `com.vmware.vapi.std.errors.${type}` }],
});
const restError = (type: string, message: string) => ({
  type: `com.vmware.vapi.std.errors.${type}`,
  value: { messages: [{ args: [], default_message: message, id: `com.vmware.vapi.std.errors.${type}` }] },
});

async function operator(method: string, path: string, body?: unknown) {
  const response = await api(method, `/operator/v1/tenants/${tenant}${path}`, { headers: OPERATOR, body });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  return response.body;
}

async function putVm(moId: string, powerState: string, guestOsFamily: string) {
  await operator('PUT', `/vms/${moId}`, labVmSpec(moId, { powerState, guestOsFamily }));
}

const issueAgentCredential = async (moId: string) =>
  ((await operator('POST', `/vms/${moId}/agent-credentials`)) as { credential: string }).credential;

/** Enrols and starts a real agent for `moId`, accepting `demo` / `demo-guest-pass`. */
async function startAgent(
  moId: string,
  options: { maxProcesses?: number; otherAccount?: boolean; credential?: string } = {},
): Promise<GuestAgent> {
  const { otherAccount, credential = await issueAgentCredential(moId), ...agentOptions } = options;
  const accounts = [{ userName: 'demo', passwordHash: await hashPassword('demo-guest-pass'), home: work }];
  if (otherAccount) accounts.push({ userName: 'other', passwordHash: await hashPassword('other-guest-pass'), home: work });
  const agent = new GuestAgent({
    apiUrl: server.url,
    credential,
    accounts,
    // These tests run each account as the test's own user (as root too); test/features/guest-isolation.test.ts runs them as OS users.
    runAs: 'agent',
    pollIntervalMs: 20,
    maxPollIntervalMs: 80,
    heartbeatIntervalMs: 200,
    terminateGraceMs: 1000,
    ...agentOptions,
  });
  await agent.start();
  agents.push(agent);
  return agent;
}

const processes = (moId: string, action: string, body: unknown, headers = admin) =>
  api('POST', `/api/vcenter/vm/${moId}/guest/processes?action=${action}`, { headers, body });
const processOf = (moId: string, pid: number, action: string, body: unknown = { credentials: GOOD }) =>
  api('POST', `/api/vcenter/vm/${moId}/guest/processes/${pid}?action=${action}`, { headers: admin, body });

async function start(spec: Record<string, unknown>, moId = 'vm-1'): Promise<number> {
  const response = await processes(moId, 'create', { credentials: GOOD, spec });
  expect(response.status, response.text).toBe(200);
  expect(response.body).toEqual(expect.any(Number));
  return response.body as number;
}

/** Waits for the agent to report the process's exit. */
const finished = (pid: number, moId = 'vm-1') =>
  eventually(async () => {
    const response = await processOf(moId, pid, 'get');
    return response.body?.finished ? response : undefined;
  }, `process ${pid} finished`);

/** A program that runs until `flag` exists: it ends when the test says so, not after a guessed time. */
const untilFlag = (flag: string) => ({ path: '/bin/sh', arguments: `-c 'while [ ! -e ${flag} ]; do sleep 0.02; done'` });

/** True once `pid` is no longer a live process of this machine. */
const gone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
};

beforeAll(async () => {
  server = await startApiServer();
  work = mkdtempSync(join(tmpdir(), 'guest-'));
  await operator('PUT', '', { displayName: 'Guest processes tests' });
  const password = 'guest-admin-pass';
  await operator('PUT', `/users/admin@${tenant}`, {
    password,
    privileges: ['VirtualMachine.GuestOperations.Execute', 'VirtualMachine.GuestOperations.Query'],
  });
  await operator('PUT', `/users/query@${tenant}`, { password, privileges: ['VirtualMachine.GuestOperations.Query'] });
  await putVm('vm-1', 'poweredOn', 'linux');
  await putVm('vm-off', 'poweredOff', 'linux');
  await putVm('vm-win', 'poweredOn', 'windows');
  await putVm('vm-stopped', 'poweredOn', 'linux');
  await putVm('vm-no-tools', 'poweredOn', 'linux');
  await putVm('vm-busy', 'poweredOn', 'linux');
  await putVm('vm-deaf', 'poweredOn', 'linux');
  admin = session(await loginVcenter(`admin@${tenant}`, password));
  await startAgent('vm-1');
});

afterEach(() => resetClock());

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.stop()));
  await server.close();
  rmSync(work, { recursive: true, force: true });
  await api('DELETE', `/operator/v1/tenants/${tenant}`, { headers: OPERATOR });
});

describe('POST /api/vcenter/vm/{vm}/guest/processes?action=create', () => {
  it('starts /bin/echo with a real pid, then reports its exit code and end time', async () => {
    const pid = await start({ path: '/bin/echo', arguments: 'hello' });
    const response = await finished(pid);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      name: 'echo',
      owner: 'demo',
      command: '/bin/echo hello',
      started: iso,
      finished: iso,
      exit_code: 0,
    });
  });

  it('reports the exit code of a failing program', async () => {
    const pid = await start({ path: '/bin/bash', arguments: "-c 'exit 7'" });
    expect((await finished(pid)).body).toEqual({
      name: 'bash',
      owner: 'demo',
      command: "/bin/bash -c 'exit 7'",
      started: iso,
      finished: iso,
      exit_code: 7,
    });
  });

  it('runs the program with exactly the given environment', async () => {
    const out = join(work, 'env.txt');
    const pid = await start({ path: '/usr/bin/env', arguments: `> ${out}`, environment_variables: { GREETING: 'hello guest' } });
    await finished(pid);
    const names = readFileSync(out, 'utf8').trim().split('\n').map((line) => line.split('=')[0]);
    expect(readFileSync(out, 'utf8')).toContain('GREETING=hello guest\n');
    // bash itself exports PWD, SHLVL and _; nothing of the agent's own environment reaches the program.
    expect(names.filter((name) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(name!))).toEqual(['GREETING']);
  });

  it('runs the program in the given working directory, and in the home directory by default', async () => {
    const dir = mkdtempSync(join(work, 'cwd-'));
    await finished(await start({ path: '/bin/pwd', arguments: '> here.txt', working_directory: dir }));
    expect(readFileSync(join(dir, 'here.txt'), 'utf8')).toBe(`${dir}\n`);
    await finished(await start({ path: '/bin/pwd', arguments: '> home.txt' }));
    expect(readFileSync(join(work, 'home.txt'), 'utf8')).toBe(`${work}\n`);
  });

  it('refuses guest credentials the agent does not accept with 401 unauthenticated', async () => {
    for (const credentials of [
      { ...GOOD, password: 'wrong-pass' },
      { ...GOOD, user_name: 'root' },
      { type: 'SAML_BEARER_TOKEN', saml_token: '<saml/>', interactive_session: false },
    ]) {
      const response = await processes('vm-1', 'create', { credentials, spec: { path: '/bin/echo' } });
      expect(response.status).toBe(401);
      expect(response.body).toEqual(
        vapiError('unauthenticated', 'Failed to authenticate with the guest operating system using the supplied credentials.'),
      );
    }
  });

  it.each([
    ['a missing program', '/no/such/program'],
    ['a program without execute permission', 'NOT_EXECUTABLE'],
    ['a directory', '/tmp'],
    ['a relative path', 'bin/echo'],
  ])('refuses %s with 403 unauthorized', async (_case, path) => {
    const notExecutable = join(work, 'not-executable.sh');
    writeFileSync(notExecutable, '#!/bin/bash\necho hi\n');
    chmodSync(notExecutable, 0o644);
    const response = await processes('vm-1', 'create', {
      credentials: GOOD,
      spec: { path: path === 'NOT_EXECUTABLE' ? notExecutable : path },
    });
    expect(response.status).toBe(403);
    expect(response.body).toEqual(vapiError('unauthorized', 'The program path cannot be accessed in the guest.'));
  });

  it('answers 500 unable_to_allocate_resource when the program cannot be started', async () => {
    const response = await processes('vm-1', 'create', {
      credentials: GOOD,
      spec: { path: '/bin/echo', working_directory: join(work, 'no-such-directory') },
    });
    expect(response.status).toBe(500);
    expect(response.body).toEqual(vapiError('unable_to_allocate_resource', 'The program could not be started in the guest.'));
  });

  it.each([
    ['a working directory that is a file', () => join(work, 'a-file')],
    ['a working directory with a component over 255 bytes', () => join(work, 'd'.repeat(300))],
  ])('answers at once 500 unable_to_allocate_resource for %s', async (_case, directory) => {
    writeFileSync(join(work, 'a-file'), 'not a directory\n');
    const response = await processes('vm-1', 'create', { credentials: GOOD, spec: { path: '/bin/echo', working_directory: directory() } });
    expect(response.status).toBe(500);
    expect(response.body).toEqual(vapiError('unable_to_allocate_resource', 'The program could not be started in the guest.'));
  });

  it('answers at once 500 unable_to_allocate_resource when the agent fails unexpectedly before a start, and lives on', async () => {
    await putVm('vm-misconfigured', 'poweredOn', 'linux');
    const agent = new GuestAgent({
      apiUrl: server.url,
      credential: await issueAgentCredential('vm-misconfigured'),
      // scrypt throws for N=3 (not a power of two): an error the agent did not foresee.
      accounts: [{ userName: 'demo', passwordHash: 'scrypt$3$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', home: work }],
      runAs: 'agent',
      pollIntervalMs: 20,
      maxPollIntervalMs: 80,
      heartbeatIntervalMs: 200,
    });
    await agent.start();
    agents.push(agent);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await processes('vm-misconfigured', 'create', { credentials: GOOD, spec: { path: '/bin/echo' } });
      expect(response.status).toBe(500);
      expect(response.body).toEqual(vapiError('unable_to_allocate_resource', 'The program could not be started in the guest.'));
    }
  });

  it('refuses start_minimized on a Linux guest with 400 invalid_argument', async () => {
    const response = await processes('vm-1', 'create', { credentials: GOOD, spec: { path: '/bin/echo', start_minimized: true } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(vapiError('invalid_argument', 'start_minimized is only supported for Windows guests.'));
  });

  it('refuses a powered-off VM with 400 not_allowed_in_current_state', async () => {
    const response = await processes('vm-off', 'create', { credentials: GOOD, spec: { path: '/bin/echo' } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(vapiError('not_allowed_in_current_state', 'Virtual machine vm-off is not running.'));
  });

  it('answers 503 service_unavailable when the agent stopped heartbeating, and when there never was one', async () => {
    const agent = await startAgent('vm-stopped');
    expect((await processes('vm-stopped', 'create', { credentials: GOOD, spec: { path: '/bin/true' } })).status).toBe(200);
    await agent.stop();
    advanceClock(31_000);
    for (const moId of ['vm-stopped', 'vm-no-tools']) {
      const response = await processes(moId, 'create', { credentials: GOOD, spec: { path: '/bin/echo' } });
      expect(response.status).toBe(503);
      expect(response.body).toEqual(vapiError('service_unavailable', `VMware Tools is not running in ${moId}.`));
    }
  });

  it('answers 500 resource_busy when the agent runs as many programs as it may', async () => {
    await startAgent('vm-busy', { maxProcesses: 1 });
    const pid = await start({ path: '/bin/sleep', arguments: '30' }, 'vm-busy');
    const response = await processes('vm-busy', 'create', { credentials: GOOD, spec: { path: '/bin/echo' } });
    expect(response.status).toBe(500);
    expect(response.body).toEqual(vapiError('resource_busy', 'The virtual machine is busy; retry later.'));
    expect((await processOf('vm-busy', pid, 'delete')).status).toBe(204);
  });

  it('gives up after the configured wait and withdraws the work no agent took', async () => {
    // An agent that enrolled and heartbeats but never claims work.
    const { credential } = (await operator('POST', '/vms/vm-deaf/agent-credentials')) as { credential: string };
    const publicKey = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const bearer = { authorization: `Bearer ${credential}` };
    expect((await api('PUT', '/agent/v1/registration', { headers: bearer, body: { publicKey, agentVersion: 'test' } })).status).toBe(200);
    process.env.GUEST_OPERATION_TIMEOUT_MS = '300';
    try {
      const response = await processes('vm-deaf', 'create', { credentials: GOOD, spec: { path: '/bin/echo' } });
      expect(response.status).toBe(503);
      expect(response.body.error_type).toBe('SERVICE_UNAVAILABLE');
    } finally {
      delete process.env.GUEST_OPERATION_TIMEOUT_MS;
    }
    expect(await listWorkIds(tenant, 'vm-deaf')).toEqual([]);
    expect((await api('POST', '/agent/v1/claims', { headers: bearer })).status).toBe(204);
  });

  it("refuses to end another guest account's process (403), as the guest OS would", async () => {
    await putVm('vm-shared', 'poweredOn', 'linux');
    await startAgent('vm-shared', { otherAccount: true });
    const pid = await start({ path: '/bin/sleep', arguments: '30' }, 'vm-shared');
    const other = { type: 'USERNAME_PASSWORD', user_name: 'other', password: 'other-guest-pass', interactive_session: false };
    const refused = await processOf('vm-shared', pid, 'delete', { credentials: other });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual(vapiError('unauthorized', 'The guest credentials do not permit this operation.'));
    expect((await processOf('vm-shared', pid, 'get')).body.finished).toBeUndefined();
    expect((await processOf('vm-shared', pid, 'delete')).status).toBe(204);
  });

  it('takes over from an earlier agent instance: ended programs are reported, running ones watched and ended', async () => {
    await putVm('vm-restart', 'poweredOn', 'linux');
    const first = await startAgent('vm-restart');
    // The short program ends when the test says so: after the first instance has lost its credential.
    const flag = join(work, `restart-${randomBytes(4).toString('hex')}`);
    const shortSpec = untilFlag(flag);
    const short = await start(shortSpec, 'vm-restart');
    const long = await start({ path: '/bin/sleep', arguments: '300' }, 'vm-restart');
    await first.stop();
    // A new credential revokes the first instance's, so the end of the short program goes unreported.
    const credential = await issueAgentCredential('vm-restart');
    writeFileSync(flag, '');
    await eventually(() => gone(short), `program ${short} ended`);
    expect((await processOf('vm-restart', short, 'get')).body.finished).toBeUndefined();

    await startAgent('vm-restart', { credential });
    const ended = await processOf('vm-restart', short, 'get');
    expect(ended.body).toEqual({
      name: 'sh',
      owner: 'demo',
      command: `${shortSpec.path} ${shortSpec.arguments}`,
      started: iso,
      finished: iso,
    });
    expect((await processOf('vm-restart', long, 'get')).body.finished).toBeUndefined();

    expect((await processOf('vm-restart', long, 'delete')).status).toBe(204);
    const killed = await processOf('vm-restart', long, 'get');
    expect(killed.body).toEqual({ name: 'sleep', owner: 'demo', command: '/bin/sleep 300', started: iso, finished: iso });
  });

  it('refuses agent reports with numbers no guest has (400), writing nothing', async () => {
    const { credential } = (await operator('POST', '/vms/vm-deaf/agent-credentials')) as { credential: string };
    const bearer = { authorization: `Bearer ${credential}` };
    const finished = '2026-01-05T10:00:00.000Z';
    for (const body of [{ pid: 1e200, exitCode: 0, finished }, { pid: 42, exitCode: 1e200, finished }]) {
      const response = await api('POST', '/agent/v1/exits', { headers: bearer, body });
      expect(response.status).toBe(400);
      expect(response.body.error_type).toBe('INVALID_ARGUMENT');
    }
  });

  it.each([
    ['an unknown VM', 'vm-nowhere', () => admin],
    ["another tenant's VM", 'vm-101', () => admin],
  ])('answers 404 not_found for %s', async (_case, moId, headers) => {
    const response = await processes(moId, 'create', { credentials: GOOD, spec: { path: '/bin/echo' } }, headers());
    expect(response.status).toBe(404);
    expect(response.body).toEqual(vapiError('not_found', `Virtual machine ${moId} was not found.`));
  });

  it("refuses a session of another tenant with 404, exactly as an unknown VM", async () => {
    const acme = session(await loginVcenter());
    const response = await processes('vm-1', 'create', { credentials: GOOD, spec: { path: '/bin/echo' } }, acme);
    expect(response.status).toBe(404);
    expect(response.body).toEqual(vapiError('not_found', 'Virtual machine vm-1 was not found.'));
  });

  it('requires VirtualMachine.GuestOperations.Execute', async () => {
    const query = session(await loginVcenter(`query@${tenant}`, 'guest-admin-pass'));
    const response = await processes('vm-1', 'create', { credentials: GOOD, spec: { path: '/bin/echo' } }, query);
    expect(response.status).toBe(403);
    expect(response.body).toEqual(
      vapiError(
        'unauthorized',
        'Permission to perform this operation was denied: VirtualMachine.GuestOperations.Execute is required on vm-1.',
      ),
    );
  });

  it.each([
    ['no action', '', { credentials: GOOD, spec: { path: '/bin/echo' } }, 'Invalid value for action: expected action=create|list.'],
    ['an unknown action', '?action=run', { credentials: GOOD }, 'Invalid value for action: expected action=create|list.'],
    ['no spec', '?action=create', { credentials: GOOD }, 'Invalid value for spec: Required.'],
    ['no credentials', '?action=list', {}, 'Invalid value for credentials: Required.'],
  ])('refuses %s with 400 invalid_argument', async (_case, query, body, message) => {
    const response = await api('POST', `/api/vcenter/vm/vm-1/guest/processes${query}`, { headers: admin, body });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(vapiError('invalid_argument', message));
  });

  it('never stores the guest password', async () => {
    await start({ path: '/bin/true' });
    const Items = await scanTable();
    expect(JSON.stringify(Items)).not.toContain('demo-guest-pass');
  });
});

describe('POST /api/vcenter/vm/{vm}/guest/processes/{pid}?action=delete', () => {
  it('terminates a running program, which then reports SIGTERM', async () => {
    const pid = await start({ path: '/bin/sleep', arguments: '60' });
    const running = await processOf('vm-1', pid, 'get');
    expect(running.body).toEqual({ name: 'sleep', owner: 'demo', command: '/bin/sleep 60', started: iso });
    const response = await processOf('vm-1', pid, 'delete');
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect((await finished(pid)).body).toEqual({ ...running.body, finished: iso, exit_code: 143 });
  });

  it('answers 404 for a pid the agent is not running', async () => {
    const response = await processOf('vm-1', 999_999_999, 'delete');
    expect(response.status).toBe(404);
    expect(response.body).toEqual(vapiError('not_found', 'Process 999999999 was not found in the guest.'));
  });

  it('refuses wrong guest credentials with 401', async () => {
    const response = await processOf('vm-1', 1, 'delete', { credentials: { ...GOOD, password: 'nope' } });
    expect(response.status).toBe(401);
  });
});

describe('list and get', () => {
  it('lists a finished process for 5 minutes after it ends, then no more', async () => {
    const pid = await start({ path: '/bin/echo', arguments: 'retained' });
    await finished(pid);
    const summary = {
      name: 'echo',
      pid,
      owner: 'demo',
      command: '/bin/echo retained',
      started: iso,
      finished: iso,
      exit_code: 0,
    };
    const listed = await processes('vm-1', 'list', { credentials: GOOD });
    expect(listed.status).toBe(200);
    expect(listed.body).toContainEqual(summary);

    advanceClock(290_000);
    await agents[0]!.heartbeat();
    expect((await processes('vm-1', 'list', { credentials: GOOD })).body).toContainEqual(summary);

    advanceClock(15_000);
    await agents[0]!.heartbeat();
    const later = await processes('vm-1', 'list', { credentials: GOOD });
    expect(later.status).toBe(200);
    expect(later.body.map((process: { pid: number }) => process.pid)).not.toContain(pid);
    const gone = await processOf('vm-1', pid, 'get');
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual(vapiError('not_found', `Process ${pid} was not found in the guest.`));
  });

  it('checks the guest credentials and the Query privilege', async () => {
    const denied = await processes('vm-1', 'list', { credentials: { ...GOOD, password: 'nope' } });
    expect(denied.status).toBe(401);
    const query = session(await loginVcenter(`query@${tenant}`, 'guest-admin-pass'));
    expect((await processes('vm-1', 'list', { credentials: GOOD }, query)).status).toBe(200);
  });
});

describe('the agent API', () => {
  it.each([
    ['no credential', {}],
    ['a forged credential', { authorization: `Bearer ${tenant}.vm-1.${'A'.repeat(43)}` }],
    ['a session id instead', { authorization: 'Bearer acme.notanagentcredential' }],
  ])('refuses %s with 401 before it looks at the body', async (_case, headers) => {
    for (const path of ['/agent/v1/results', '/agent/v1/exits', '/agent/v1/claims', '/agent/v1/heartbeats']) {
      const response = await api('POST', path, { headers, body: '{"not json' });
      expect(response.status, path).toBe(401);
      expect(response.body).toEqual(vapiError('unauthenticated', 'A valid agent credential is required.'));
    }
  });
});

describe('credentials the agent accepted lately', () => {
  const guestClaims = () => server.requests.filter((request) => request === 'POST /agent/v1/results').length;

  it('answers get in two round trips without asking the agent again, and stores no password', async () => {
    const pid = await start({ path: '/bin/echo', arguments: 'remembered' });
    await finished(pid);
    const answersBefore = guestClaims();
    const { result, roundTrips } = await countRoundTrips(() => processOf('vm-1', pid, 'get'));
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ name: 'echo', owner: 'demo', command: '/bin/echo remembered', started: iso, finished: iso, exit_code: 0 });
    expect(roundTrips).toBe(2);
    expect(guestClaims()).toBe(answersBefore);
    const Items = await scanTable();
    expect(JSON.stringify(Items)).not.toContain(GOOD.password);
  });

  it('still asks the agent, and refuses, for a password it did not accept', async () => {
    await start({ path: '/bin/true' });
    const answersBefore = guestClaims();
    const denied = await processes('vm-1', 'list', { credentials: { ...GOOD, password: 'demo-guest-pass-2' } });
    expect(denied.status).toBe(401);
    expect(guestClaims()).toBe(answersBefore + 1);
  });

  it('asks the agent every time when remembering is turned off', async () => {
    const pid = await start({ path: '/bin/true' });
    process.env.GUEST_AUTH_CACHE_SECONDS = '0';
    try {
      const answersBefore = guestClaims();
      expect((await processOf('vm-1', pid, 'get')).status).toBe(200);
      expect((await processes('vm-1', 'list', { credentials: GOOD })).status).toBe(200);
      expect(guestClaims()).toBe(answersBefore + 2);
    } finally {
      delete process.env.GUEST_AUTH_CACHE_SECONDS;
    }
  });
});

describe('guessing guest credentials', () => {
  const WRONG = { ...GOOD, password: 'a-guess' };
  const locked = vapiError('unauthenticated', 'The guest account is temporarily locked after repeated failed authentications; try again later.');
  const agentAnswers = () => server.requests.filter((request) => request === 'POST /agent/v1/results').length;
  // The login lockout's policy, as configured for logins (the test environment raises the limit for other tests).
  let maxFailures: string | undefined;
  beforeAll(() => {
    maxFailures = process.env.LOGIN_MAX_FAILURES;
    process.env.LOGIN_MAX_FAILURES = '5';
  });
  afterAll(() => {
    process.env.LOGIN_MAX_FAILURES = maxFailures;
  });

  it('locks the guest user name of one VM after LOGIN_MAX_FAILURES refusals, without asking the agent again', async () => {
    await putVm('vm-lock', 'poweredOn', 'linux');
    await putVm('vm-lock-2', 'poweredOn', 'linux');
    await startAgent('vm-lock', { otherAccount: true });
    await startAgent('vm-lock-2');
    const pid = await start({ path: '/bin/sleep', arguments: '30' }, 'vm-lock');
    // Each kind of guest operation counts: create, list, get and delete are each one more check by the agent.
    const guesses = [
      () => processes('vm-lock', 'create', { credentials: WRONG, spec: { path: '/bin/echo' } }),
      () => processes('vm-lock', 'list', { credentials: WRONG }),
      () => processOf('vm-lock', pid, 'get', { credentials: WRONG }),
      () => processOf('vm-lock', pid, 'delete', { credentials: WRONG }),
      () => processes('vm-lock', 'list', { credentials: WRONG }),
    ];
    for (const guess of guesses) {
      const response = await guess();
      expect(response.status).toBe(401);
      expect(response.body).toEqual(
        vapiError('unauthenticated', 'Failed to authenticate with the guest operating system using the supplied credentials.'),
      );
    }
    const answersBefore = agentAnswers();
    for (const attempt of [
      () => processes('vm-lock', 'create', { credentials: GOOD, spec: { path: '/bin/echo' } }),
      () => processes('vm-lock', 'list', { credentials: GOOD }),
      () => processOf('vm-lock', pid, 'get'),
      () => processOf('vm-lock', pid, 'delete'),
      () => processes('vm-lock', 'list', { credentials: WRONG }),
    ]) {
      const response = await attempt();
      expect(response.status).toBe(401);
      expect(response.body).toEqual(locked);
    }
    expect(agentAnswers()).toBe(answersBefore);

    // Per VM and guest user name: another account of the VM, and the same account of another VM, still work.
    const other = { type: 'USERNAME_PASSWORD', user_name: 'other', password: 'other-guest-pass', interactive_session: false };
    expect((await processes('vm-lock', 'list', { credentials: other })).status).toBe(200);
    expect((await processes('vm-lock-2', 'list', { credentials: GOOD })).status).toBe(200);

    advanceClock(301_000);
    await Promise.all(agents.map((agent) => agent.heartbeat().catch(() => undefined)));
    expect((await processOf('vm-lock', pid, 'delete')).status).toBe(204);
  });

  it('lets a burst of 30 wrong guesses check at most 5 passwords, counts every refusal the agent reports, and locks out the right one', async () => {
    await putVm('vm-burst', 'poweredOn', 'linux');
    await startAgent('vm-burst');
    const counter = guestFailuresOf(tenant, 'vm-burst', userNameHashOf({ type: 'USERNAME_PASSWORD', userName: 'demo', interactiveSession: false }));
    const answersBefore = agentAnswers();
    // The right password goes last, behind 30 wrong ones: sequentially it would meet the lock.
    const burst = await Promise.all([
      ...Array.from({ length: 30 }, () => processes('vm-burst', 'list', { credentials: WRONG })),
      processes('vm-burst', 'list', { credentials: GOOD }),
    ]);
    expect(burst.filter((response) => response.status === 200)).toEqual([]);
    expect(burst.at(-1)!.status).not.toBe(200);
    // The agent was asked at most the policy's 5 times; each of its refusals is counted, also one that came
    // after the API stopped waiting for it (then the caller saw 500 resource_busy).
    const checked = agentAnswers() - answersBefore;
    expect(checked).toBeLessThanOrEqual(5);
    const counted = await eventually(async () => {
      const record = await getItem(counter);
      return record?.failures === checked ? record : undefined;
    }, 'every refusal counted');
    expect(counted.attempts).toBe(checked);
    if (checked === 5) expect(counted.lockedUntil).toBeGreaterThan(Math.floor(Date.now() / 1000));
    for (const response of burst.slice(0, 30)) {
      expect([401, 500]).toContain(response.status);
      if (response.status === 500) expect(response.body.error_type).toBe('RESOURCE_BUSY');
    }
    // Until every guess came back, the rest were turned away without the agent; once all 5 are in, locked.
    for (let guess = checked; guess < 5; guess += 1) await processes('vm-burst', 'list', { credentials: WRONG });
    const after = await processes('vm-burst', 'list', { credentials: GOOD });
    expect(after.status).toBe(401);
    expect(after.body).toEqual(locked);
  });

  it('asks the agent, not the remembered verifier, while guesses of the user are failed or under way', async () => {
    await putVm('vm-quiet', 'poweredOn', 'linux');
    await startAgent('vm-quiet');
    expect((await processes('vm-quiet', 'list', { credentials: GOOD })).status).toBe(200);
    let answers = agentAnswers();
    expect((await processes('vm-quiet', 'list', { credentials: GOOD })).status).toBe(200);
    expect(agentAnswers()).toBe(answers); // remembered
    expect((await processes('vm-quiet', 'list', { credentials: WRONG })).status).toBe(401);
    answers = agentAnswers();
    expect((await processes('vm-quiet', 'list', { credentials: GOOD })).status).toBe(200);
    expect(agentAnswers()).toBe(answers + 1); // a failure in the window: the agent decides, and the success clears it
    expect((await processes('vm-quiet', 'list', { credentials: GOOD })).status).toBe(200);
    expect(agentAnswers()).toBe(answers + 1);
  });

  it('forgets the failures of a guest user once the agent accepts its credentials', async () => {
    await putVm('vm-lock-3', 'poweredOn', 'linux');
    await startAgent('vm-lock-3');
    for (let round = 0; round < 2; round += 1) {
      for (let guess = 0; guess < 4; guess += 1) {
        expect((await processes('vm-lock-3', 'create', { credentials: WRONG, spec: { path: '/bin/echo' } })).status).toBe(401);
      }
      expect((await processes('vm-lock-3', 'create', { credentials: GOOD, spec: { path: '/bin/true' } })).status).toBe(200);
    }
  });
});

describe('agent registration', () => {
  const register = (credential: string) =>
    api('PUT', '/agent/v1/registration', {
      headers: { authorization: `Bearer ${credential}` },
      body: { publicKey: generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString(), agentVersion: 'test' },
    });

  it('refuses a new key while another instance is live, and accepts it once that one is silent or under a new credential', async () => {
    await putVm('vm-reg', 'poweredOn', 'linux');
    const credential = await issueAgentCredential('vm-reg');
    expect((await register(credential)).status).toBe(200);
    const refused = await register(credential);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual(
      vapiError(
        'not_allowed_in_current_state',
        'Another instance of the agent of vm-reg is live (it heartbeat within 30 s); a new key is accepted once its heartbeat is stale, or under a newly issued credential.',
      ),
    );
    advanceClock(31_000);
    expect((await register(credential)).status).toBe(200);
    expect((await register(await issueAgentCredential('vm-reg'))).status).toBe(200);
  });

  it('a restarted agent waits for the earlier instance to go silent, then enrols', async () => {
    await putVm('vm-reg-2', 'poweredOn', 'linux');
    const credential = await issueAgentCredential('vm-reg-2');
    const first = await startAgent('vm-reg-2', { credential });
    await first.stop();
    const logs: string[] = [];
    const second = new GuestAgent({
      apiUrl: server.url,
      credential,
      accounts: [{ userName: 'demo', passwordHash: await hashPassword('demo-guest-pass'), home: work }],
      runAs: 'agent',
      pollIntervalMs: 20,
      heartbeatIntervalMs: 50,
      log: (message) => logs.push(message),
    });
    agents.push(second);
    const started = second.start();
    await eventually(() => logs.includes('another instance of this agent is live; waiting for its heartbeat to go stale'), 'the second instance to wait');
    advanceClock(31_000);
    await started;
    expect((await processes('vm-reg-2', 'create', { credentials: GOOD, spec: { path: '/bin/true' } })).status).toBe(200);
  });
});

describe('the /rest form', () => {
  const rest = (path: string, body: unknown) => api('POST', `/rest/vcenter/vm/vm-1/guest/processes${path}`, { headers: admin, body });

  it('creates, gets, lists and deletes with {"value": ...} bodies', async () => {
    const created = await rest('?~action=create', {
      credentials: GOOD,
      spec: { path: '/bin/sleep', arguments: '60', environment_variables: [{ key: 'A', value: '1' }] },
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ value: expect.any(Number) });
    const pid = created.body.value as number;

    const got = await rest(`/${pid}?~action=get`, { credentials: GOOD });
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ value: { name: 'sleep', owner: 'demo', command: '/bin/sleep 60', started: iso } });

    const listed = await rest('?~action=list', { credentials: GOOD });
    expect(listed.body.value).toContainEqual({ name: 'sleep', pid, owner: 'demo', command: '/bin/sleep 60', started: iso });

    const deleted = await rest(`/${pid}?~action=delete`, { credentials: GOOD });
    expect(deleted.status).toBe(200);
    expect(deleted.text).toBe('');
  });

  it('renders errors in the /rest shape', async () => {
    const response = await rest('?~action=create', { credentials: { ...GOOD, password: 'nope' }, spec: { path: '/bin/echo' } });
    expect(response.status).toBe(401);
    expect(response.body).toEqual(
      restError('unauthenticated', 'Failed to authenticate with the guest operating system using the supplied credentials.'),
    );
  });
});

describe('a Windows guest (the agent runs on Linux guests only)', () => {
  const notInstalled = 'VMware Tools is not installed in vm-win: the guest agent runs on Linux guests only.';

  beforeAll(async () => {
    // Even a (Linux) agent enrolled under the Windows VM's credential, heartbeating, changes nothing.
    await startAgent('vm-win');
  });

  it.each([
    ['create', '/api/vcenter/vm/vm-win/guest/processes?action=create', { credentials: GOOD, spec: { path: 'C:\\Windows\\System32\\cmd.exe', start_minimized: true } }],
    ['list', '/api/vcenter/vm/vm-win/guest/processes?action=list', { credentials: GOOD }],
    ['get', '/api/vcenter/vm/vm-win/guest/processes/4242?action=get', { credentials: GOOD }],
    ['delete', '/api/vcenter/vm/vm-win/guest/processes/4242?action=delete', { credentials: GOOD }],
  ])('answers /api %s at once with 503 service_unavailable', async (_operation, path, body) => {
    const response = await api('POST', path, { headers: admin, body });
    expect(response.status).toBe(503);
    expect(response.body).toEqual(vapiError('service_unavailable', notInstalled));
  });

  it.each([
    ['create', '/rest/vcenter/vm/vm-win/guest/processes?~action=create', { credentials: GOOD, spec: { path: 'C:\\Windows\\System32\\cmd.exe' } }],
    ['list', '/rest/vcenter/vm/vm-win/guest/processes?~action=list', { credentials: GOOD }],
    ['get', '/rest/vcenter/vm/vm-win/guest/processes/4242?~action=get', { credentials: GOOD }],
    ['delete', '/rest/vcenter/vm/vm-win/guest/processes/4242?~action=delete', { credentials: GOOD }],
  ])('answers /rest %s at once with 503 service_unavailable', async (_operation, path, body) => {
    const response = await api('POST', path, { headers: admin, body });
    expect(response.status).toBe(503);
    expect(response.body).toEqual(restError('service_unavailable', notInstalled));
  });

  it('shows the tools NOT_RUNNING, with the version the agent reported', async () => {
    const response = await api('GET', '/api/vcenter/vm/vm-win/tools', { headers: admin });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ run_state: 'NOT_RUNNING', upgrade_policy: 'MANUAL' });
  });

  it('leaves no work item behind: nothing was handed to the agent', async () => {
    expect(await listWorkIds(tenant, 'vm-win')).toEqual([]);
  });
});
