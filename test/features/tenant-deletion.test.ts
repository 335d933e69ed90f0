/**
 * Tenant deletion through the real handlers against dynalite: DELETE marks the tenant at once (202), the
 * tenant is refused meanwhile, and the drain job (its Lambda handler, invoked as Lambda invokes it) empties
 * it in bounded runs that resume after an interruption. The asynchronous invokes themselves, the job's
 * chain of runs and the sweeper's schedule run under serverless-offline in test/features/tenant-deletion-local.test.ts.
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { drain, sweep } from '../../functions/operator/tenantDrain.js';
import { advanceClock, resetClock } from '../../lib/core/clock.js';
import { client } from '../../lib/store/client.js';
import { countRoundTrips, faults } from '../support/store-instrumentation.js';
import { scopeKey } from '../../lib/protocol/secrets.js';
import { gsi1, keys, type Key } from '../../lib/store/keys.js';
import { api, basic, CONSOLE_PROXY, OPERATOR, session } from '../support/api.js';
import { boundedAll } from '../support/bounded.js';
import { expectAllowedByIam } from '../support/iam.js';
import { labVmSpec } from '../support/lab.js';

process.env.TENANT_DELETION_SETTLE_SECONDS = '0';
process.env.TENANT_DRAIN_MARGIN_SECONDS = '1';

const table = () => process.env.TABLE_NAME!;
const AGENT_KEY = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

afterEach(() => {
  faults.inject = undefined;
  resetClock();
  process.env.TENANT_DELETION_SETTLE_SECONDS = '0';
});

/** One run of the drain Lambda with `remainingMs` of its invocation left, its DynamoDB calls checked against its role. */
async function drainRun(tenantId: string, chain: string, remainingMs = 600_000) {
  const deadline = Date.now() + remainingMs;
  const context = { awsRequestId: randomUUID(), functionName: 'operatorDrainTenant', getRemainingTimeInMillis: () => deadline - Date.now() };
  const { result, live } = await countRoundTrips(() => drain({ tenantId, chain }, context as unknown as Context));
  expectAllowedByIam('operatorDrainTenant', live.actions);
  return result as { state: string; deleted: number };
}

async function sweepRun(): Promise<string[]> {
  const context = { awsRequestId: randomUUID(), functionName: 'operatorSweepDeletingTenants', getRemainingTimeInMillis: () => 60_000 };
  const { result, live } = await countRoundTrips(() => sweep({ source: 'aws.events' }, context as unknown as Context));
  expectAllowedByIam('operatorSweepDeletingTenants', live.actions);
  return (result as { tenantIds: string[] }).tenantIds;
}

const deleteTenant = async (tenantId: string) => {
  const { result, live } = await countRoundTrips(() => api('DELETE', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR }));
  expectAllowedByIam('operatorDeleteTenant', live.actions);
  return result;
};

const beingDeleted = (tenantId: string) => ({
  error_type: 'NOT_ALLOWED_IN_CURRENT_STATE',
  messages: [{ args: [], default_message: `Tenant ${tenantId} is being deleted.`, id: 'com.vmware.vapi.std.errors.not_allowed_in_current_state' }],
});

/** Every item anywhere in the table that belongs to the tenant: by its record's tenant, or its keys. */
async function itemsOf(tenantId: string): Promise<Record<string, unknown>[]> {
  // The tenant's own partition, and every partition keyed by one of its users, VMs or days (login failures
  // carry no tenant attribute: only their key names it).
  const filter =
    '#tenantId = :tenantId OR pk = :partition OR begins_with(pk, :login) OR begins_with(pk, :sessions) OR ' +
    'begins_with(pk, :tickets) OR begins_with(pk, :guest) OR begins_with(pk, :audit) OR begins_with(gsi1pk, :partition) OR gsi1sk = :tenantId';
  const found: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client().send(
      new ScanCommand({
        TableName: table(),
        FilterExpression: filter,
        ExpressionAttributeNames: { '#tenantId': 'tenantId' },
        ExpressionAttributeValues: {
          ':tenantId': tenantId,
          ':partition': keys.tenantPartition(tenantId),
          ...Object.fromEntries(['login', 'sessions', 'tickets', 'guest', 'audit'].map((kind) => [`:${kind}`, `${kind === 'sessions' ? 'SESSION' : kind === 'tickets' ? 'TICKET' : kind.toUpperCase()}#${tenantId}#`])),
        },
        ExclusiveStartKey,
      }),
    );
    found.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return found;
}

/** How many items of the tenant the table holds, in all its partitions. */
const countTenantItems = async (tenantId: string): Promise<number> => (await itemsOf(tenantId)).length;

describe('DELETE /operator/v1/tenants/{tenant}', () => {
  it('marks the tenant at once, refuses it meanwhile, and the drain job removes it with everything in it', async () => {
    const tenantId = `del-${randomUUID().slice(0, 8)}`;
    const put = await api('PUT', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR, body: { displayName: 'Doomed' } });
    expect(put.status).toBe(200);
    const userName = `ops@${tenantId}`;
    expect((await api('PUT', `/operator/v1/tenants/${tenantId}/users/${userName}`, { headers: OPERATOR, body: { password: 'a-long-password', privileges: [] } })).status).toBe(200);
    expect((await api('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-1`, { headers: OPERATOR, body: labVmSpec('vm-1') })).status).toBe(200);
    const sessionId = (await api('POST', '/api/session', { headers: basic(userName, 'a-long-password') })).body as string;

    const deleted = await deleteTenant(tenantId);
    expect(deleted.status).toBe(202);
    const deleting = { tenantId, displayName: 'Doomed', createdAt: put.body.createdAt, deletingSince: expect.any(String) };
    expect(deleted.body).toEqual(deleting);
    expect(Date.parse(deleted.body.deletingSince)).not.toBeNaN();

    // From now on: reads show it deleting, writes are refused, a second DELETE changes nothing.
    expect(await api('GET', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR })).toMatchObject({ status: 200, body: deleted.body });
    const list = await api('GET', '/operator/v1/tenants', { headers: OPERATOR });
    expect(list.body.tenants).toContainEqual(deleted.body);
    const refusals = [
      await api('PUT', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR, body: { displayName: 'Again' } }),
      await api('PUT', `/operator/v1/tenants/${tenantId}/users/new@${tenantId}`, { headers: OPERATOR, body: { password: 'a-long-password', privileges: [] } }),
      await api('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-2`, { headers: OPERATOR, body: labVmSpec('vm-2') }),
      // No agent credential either: the drain removes a VM's guest state before its record.
      await api('POST', `/operator/v1/tenants/${tenantId}/vms/vm-1/agent-credentials`, { headers: OPERATOR }),
    ];
    for (const refused of refusals) expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: beingDeleted(tenantId) });
    const again = await deleteTenant(tenantId);
    expect({ status: again.status, body: again.body }).toEqual({ status: 202, body: deleted.body });
    expect((await api('GET', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR })).body.displayName).toBe('Doomed');

    expect(await sweepRun()).toContain(tenantId);
    expect(await drainRun(tenantId, randomUUID())).toEqual({ state: 'drained', deleted: 2 }); // the user (its session with it) and the VM

    expect((await api('GET', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR })).status).toBe(404);
    expect((await api('GET', `/operator/v1/tenants/${tenantId}/vms/vm-1`, { headers: OPERATOR })).status).toBe(404);
    expect((await api('GET', '/api/session', { headers: session(sessionId) })).status).toBe(401);
    expect((await deleteTenant(tenantId)).status).toBe(404);
    expect(await sweepRun()).not.toContain(tenantId);
    expect(await itemsOf(tenantId)).toEqual([]);
    // Gone, it can be created afresh.
    const recreated = await api('PUT', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR, body: { displayName: 'Reborn' } });
    expect(recreated.status).toBe(200);
    expect(recreated.body).toEqual({ tenantId, displayName: 'Reborn', createdAt: expect.any(String) });
    // A chain of the old deletion that runs late (a retried event) leaves the new tenant alone.
    expect((await api('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-1`, { headers: OPERATOR, body: labVmSpec('vm-1') })).status).toBe(200);
    expect(await drainRun(tenantId, randomUUID())).toEqual({ state: 'not deleting', deleted: 0 });
    expect((await api('GET', `/operator/v1/tenants/${tenantId}/vms/vm-1`, { headers: OPERATOR })).status).toBe(200);
  });

  it("stops every credential of the tenant at the 202: tickets of every dialect, sessions, the agent's credential", async () => {
    const tenantId = `cut-${randomUUID().slice(0, 8)}`;
    expect((await api('PUT', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR, body: { displayName: 'Cut' } })).status).toBe(200);
    const userName = `ops@${tenantId}`;
    const privileges = ['VirtualMachine.Interact.ConsoleInteract', 'VirtualMachine.GuestOperations.Query'];
    expect((await api('PUT', `/operator/v1/tenants/${tenantId}/users/${userName}`, { headers: OPERATOR, body: { password: 'a-long-password', privileges } })).status).toBe(200);
    const instanceUuid = randomUUID();
    expect((await api('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-1`, { headers: OPERATOR, body: labVmSpec('vm-1', { instanceUuid }) })).status).toBe(200);
    const credential = (await api('POST', `/operator/v1/tenants/${tenantId}/vms/vm-1/agent-credentials`, { headers: OPERATOR })).body.credential as string;
    const agent = { authorization: `Bearer ${credential}` };
    const registered = await api('PUT', '/agent/v1/registration', { headers: agent, body: { publicKey: AGENT_KEY, agentVersion: '1.0.0' } });
    expect(registered.status).toBe(200);
    expect((await api('POST', '/agent/v1/heartbeats', { headers: agent })).status).toBe(204);

    // A session of each dialect, and console tickets issued through each.
    const vcenter = (await api('POST', '/api/session', { headers: basic(userName, 'a-long-password') })).body as string;
    const rest = (await api('POST', '/rest/com/vmware/cis/session', { headers: basic(userName, 'a-long-password') })).body.value as string;
    const vim = (await api('POST', '/sdk/vim25/8.0.3.0/SessionManager/SessionManager/Login', { body: { userName, password: 'a-long-password' } })).headers['vmware-api-session-id']!;
    const keystone = (await api('POST', '/identity/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['password'], password: { user: { name: userName, domain: { name: 'Default' }, password: 'a-long-password' } } } } },
    })).headers['x-subject-token']!;
    const ticketIn = (uri: string): string => /\/ticket\/([^@/]+)$/.exec(uri)![1]!;
    const tickets: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      tickets.push(ticketIn((await api('POST', '/api/vcenter/vm/vm-1/console/tickets', { headers: session(vcenter), body: { type: 'WEBMKS' } })).body.ticket));
      tickets.push(ticketIn((await api('POST', '/rest/vcenter/vm/vm-1/console/tickets', { headers: session(rest), body: { spec: { type: 'WEBMKS' } } })).body.value.ticket));
      tickets.push((await api('POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-1/AcquireTicket', { headers: session(vim), body: { ticketType: 'webmks' } })).body.ticket);
      const remote = await api('POST', `/compute/v2.1/servers/${instanceUuid}/remote-consoles`, {
        headers: { 'x-auth-token': keystone, 'openstack-api-version': 'compute 2.6' },
        body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
      });
      tickets.push(new URLSearchParams(new URL(remote.body.remote_console.url).searchParams.get('path')!.replace(/^\?/, '')).get('token')!);
    }
    expect(tickets.every((ticket) => ticket.startsWith(`${tenantId}.`))).toBe(true);

    expect((await deleteTenant(tenantId)).status).toBe(202);

    // 0 of 12 tickets redeem, through the console proxy's route, whose role may read the tenant.
    const redemptions = await Promise.all(
      tickets.map(async (ticket) => {
        const { result, live } = await countRoundTrips(() => api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } }));
        expectAllowedByIam('consoleProxyRedeemTicket', live.actions);
        return result.status;
      }),
    );
    expect(redemptions).toEqual(tickets.map(() => 404));
    // No session of any dialect works, nor the agent's credential, nor a guest operation.
    expect((await api('GET', '/api/session', { headers: session(vcenter) })).status).toBe(401);
    expect((await api('POST', '/rest/com/vmware/cis/session?~action=get', { headers: session(rest) })).status).toBe(401);
    expect((await api('POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-1/AcquireTicket', { headers: session(vim), body: { ticketType: 'webmks' } })).body._typeName).toBe('NotAuthenticated');
    expect((await api('GET', `/compute/v2.1/servers/${instanceUuid}`, { headers: { 'x-auth-token': keystone } })).status).toBe(401);
    const guest = { type: 'USERNAME_PASSWORD', user_name: 'demo', password: 'demo-guest-pass', interactive_session: false };
    expect((await api('POST', '/api/vcenter/vm/vm-1/guest/processes?action=list', { headers: session(vcenter), body: { credentials: guest } })).status).toBe(401);
    for (const [path, method] of [['/agent/v1/heartbeats', 'POST'], ['/agent/v1/claims', 'POST'], ['/agent/v1/registration', 'PUT']] as const) {
      const body = path === '/agent/v1/registration' ? { publicKey: AGENT_KEY, agentVersion: '1.0.0' } : path === '/agent/v1/claims' ? {} : undefined;
      const refused = await api(method, path, { headers: agent, ...(body ? { body } : {}) });
      expect({ path, status: refused.status }).toEqual({ path, status: 401 });
    }
  });

  it('answers 404 for a tenant that does not exist', async () => {
    const response = await deleteTenant('no-such-tenant');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      error_type: 'NOT_FOUND',
      messages: [{ args: [], default_message: 'Tenant no-such-tenant not found.', id: 'com.vmware.vapi.std.errors.not_found' }],
    });
  });

  it('leaves the items alone until the settle time has passed, so writes that found the tenant live have landed', async () => {
    process.env.TENANT_DELETION_SETTLE_SECONDS = '60';
    const tenantId = `set-${randomUUID().slice(0, 8)}`;
    await api('PUT', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR, body: { displayName: 'Settling' } });
    await api('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-1`, { headers: OPERATOR, body: labVmSpec('vm-1') });
    expect((await deleteTenant(tenantId)).status).toBe(202);
    const chain = randomUUID();
    // A run with less time than the settle time leaves everything to a later run.
    expect(await drainRun(tenantId, chain, 10_000)).toEqual({ state: 'settling', deleted: 0 });
    expect((await api('GET', `/operator/v1/tenants/${tenantId}/vms/vm-1`, { headers: OPERATOR })).status).toBe(200);
    advanceClock(61_000);
    expect(await drainRun(tenantId, chain, 10_000)).toEqual({ state: 'drained', deleted: 1 });
    expect(await itemsOf(tenantId)).toEqual([]);
  });

  it('drains a tenant of 100,000 items in bounded runs, resuming after a run dies and after a lost invocation', async () => {
    const tenantId = `big-${randomUUID().slice(0, 8)}`;
    const seeding = Date.now();
    const seeded = await seedTenant(tenantId);
    const seedSeconds = (Date.now() - seeding) / 1000;
    expect(seeded).toBe(100_000);
    expect(await countTenantItems(tenantId)).toBe(100_000);

    const deleted = await deleteTenant(tenantId);
    expect(deleted.status).toBe(202);
    expect((await api('GET', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR })).body).toEqual(deleted.body);
    const refused = await api('PUT', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR, body: { displayName: 'Again' } });
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: beingDeleted(tenantId) });

    const draining = Date.now();
    // The DELETE's chain of runs (Lambda would pass its event on): a run with no time left does one batch.
    const chain = randomUUID();
    expect(await drainRun(tenantId, chain, 0)).toEqual({ state: 'continuing', deleted: 100 });

    // A run that dies half-way (DynamoDB gone after 40 batched deletes) ends having deleted part of it.
    let writes = 0;
    faults.inject = (operation) => {
      if (operation === 'BatchWriteItemCommand' && ++writes > 40) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    };
    expect(await drainRun(tenantId, chain)).toEqual({ state: 'failed' });
    faults.inject = undefined;
    const afterCrash = await countTenantItems(tenantId);
    expect(afterCrash).toBeLessThan(100_000 - 100);
    expect(afterCrash).toBeGreaterThan(1);
    expect((await api('GET', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR })).body).toEqual(deleted.body);

    // Lambda's retry of the same event resumes the chain from what the table holds.
    const retried = await drainRun(tenantId, chain, 3_000);
    expect(retried.state).toBe('continuing');
    expect(retried.deleted).toBeGreaterThan(0);
    expect(await countTenantItems(tenantId)).toBeLessThan(afterCrash);

    // Suppose the chain's next invoke is lost: the sweeper still lists the tenant, but its drain waits for the
    // dead chain's lease to lapse, and then finishes the job.
    expect(await sweepRun()).toContain(tenantId);
    const swept = randomUUID();
    expect(await drainRun(tenantId, swept)).toEqual({ state: 'held elsewhere', deleted: 0 });
    advanceClock(61_000);
    const finished = await drainRun(tenantId, swept);
    expect(finished.state).toBe('drained');
    const drainSeconds = (Date.now() - draining) / 1000;

    expect((await api('GET', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR })).status).toBe(404);
    expect(await itemsOf(tenantId)).toEqual([]);
    expect(await sweepRun()).not.toContain(tenantId);
    console.log(
      `tenant-deletion: seeded 100,000 items in ${seedSeconds.toFixed(1)} s (${Math.round(100_000 / seedSeconds)}/s); ` +
        `drained them in ${drainSeconds.toFixed(1)} s (${Math.round(100_000 / drainSeconds)} items/s)`,
    );
  }, 1_800_000);
});

/**
 * A tenant of exactly 100,000 items, written as the store lays them out (BatchWriteItem, 16 requests in
 * flight): 10,000 VMs, 1,000 users, 20,000 sessions, 20,000 tickets with their pointers, 2,000 agent enrolments, 1,000 Nova
 * consoles, 1,000 guest processes, 500 users' failed logins, the profile, its console counter and 24,498
 * console session audit records.
 */
async function seedTenant(tenantId: string): Promise<number> {
  const now = new Date().toISOString();
  const later = Math.floor(Date.now() / 1000) + 3600;
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');
  const items: Record<string, unknown>[] = [];
  const add = (key: Key, record: Record<string, unknown>, indexes: Record<string, string> = {}) =>
    items.push({ ...key, ...indexes, ...record });

  // Created a month ago: its audit (one record a minute, going back about 17 days) is all of its own lifetime.
  const createdAt = new Date(Date.now() - 30 * 86_400_000).toISOString();
  add(keys.tenant(tenantId), { tenantId, displayName: 'Big', createdAt }, gsi1.tenants(tenantId));
  add(keys.consoleCounter(tenantId), { value: 1000 });
  const users = Array.from({ length: 1_000 }, (_, index) => `user-${index}@${tenantId}`);
  for (const userName of users) add(keys.principal(tenantId, userName), { tenantId, userName, passwordHash: 'scrypt$x', privileges: [], updatedAt: now });
  const vms = Array.from({ length: 10_000 }, (_, index) => ({ moId: `vm-${index}`, instanceUuid: randomUUID() }));
  for (const { moId, instanceUuid } of vms) {
    add(keys.vm(tenantId, moId), { ...labVmSpec(moId, { instanceUuid }), connectionState: 'connected', tenantId, moId, createdAt: now, updatedAt: now }, gsi1.vmByUuid(tenantId, instanceUuid));
  }
  for (let index = 0; index < 20_000; index += 1) {
    const sessionHash = hash(`session-${tenantId}-${index}`);
    const userName = users[index % users.length]!;
    add(keys.session(tenantId, scopeKey(userName), sessionHash), { tenantId, sessionHash, userName, privileges: [], createdAt: now, lastAccessedAt: now, expiresAt: later });
    const vm = vms[index % vms.length]!;
    const ticketHash = hash(`ticket-${tenantId}-${index}`);
    // Every ticket with its pointer beside the user's sessions, as ticket issue writes them.
    add(keys.ticketPointer(tenantId, scopeKey(userName), scopeKey(vm.moId), ticketHash), { tenantId, vmMoId: vm.moId, expiresAt: later });
    add(keys.ticket(tenantId, scopeKey(vm.moId), ticketHash), {
      tenantId, ticketHash, vmMoId: vm.moId, instanceUuid: vm.instanceUuid, consoleType: 'WEBMKS', issuedTo: users[index % users.length],
      grants: 'VirtualMachine.Interact.ConsoleInteract', vnc: { host: '127.0.0.1', port: 5990 }, issuedAt: now, expiresAt: later,
    });
  }
  for (const { moId } of vms.slice(0, 2_000)) add(keys.agent(tenantId, moId), { tenantId, moId, credentialHash: hash(moId), issuedAt: now });
  for (const [index, { instanceUuid }] of vms.slice(0, 1_000).entries()) {
    add(keys.console(tenantId, instanceUuid), { tenantId, instanceUuid, consoleId: index + 1, consoleType: 'novnc', createdAt: now });
  }
  for (const [pid, { moId }] of vms.slice(0, 1_000).entries()) {
    add(keys.process(tenantId, moId, pid + 100), { tenantId, moId, pid: pid + 100, name: 'sleep', owner: 'demo', command: 'sleep 1000', started: now });
  }
  for (const userName of users.slice(0, 500)) add(keys.loginFailures(tenantId, userName), { tenantId, userName, failures: 2, expiresAt: later });
  for (let index = 0; items.length < 100_000; index += 1) {
    const sessionId = randomUUID();
    const startedAt = new Date(Date.now() - index * 60_000).toISOString();
    add(keys.consoleAudit(tenantId, startedAt, sessionId), {
      sessionId, tenantId, vmMoId: 'vm-1', instanceUuid: vms[1]!.instanceUuid, consoleType: 'novnc', principal: users[0], ticketFingerprint: 'abcdef01',
      startedAt, endedAt: startedAt, bytesToVm: 100, bytesFromVm: 1000, endReason: 'client closed', recordedAt: now, expiresAt: later,
    });
  }
  await boundedAll(Math.ceil(items.length / 25), 16, async (batch) => {
    let requests = items.slice(batch * 25, batch * 25 + 25).map((Item) => ({ PutRequest: { Item } }));
    while (requests.length) {
      const { UnprocessedItems } = await client().send(new BatchWriteCommand({ RequestItems: { [table()]: requests } }));
      requests = (UnprocessedItems?.[table()] ?? []) as typeof requests;
    }
  });
  return items.length;
}
