import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Context } from 'aws-lambda';
import { drain } from '../../functions/operator/tenantDrain.js';
import { advanceClock, resetClock } from '../../lib/core/clock.js';
import { client, tableName } from '../../lib/store/client.js';
import { countRoundTrips } from '../support/store-instrumentation.js';
import { keys } from '../../lib/store/keys.js';
import { api, basic, CONSOLE_PROXY, loginVcenter, OPERATOR, session } from '../support/api.js';
import { expectAllowedByIam } from '../support/iam.js';
import { scanItems } from '../support/fuzz.js';
import { createLab, type Lab } from '../support/lab.js';
import { eventually } from '../support/wait.js';
import { nova } from '../support/nova.js';

/**
 * The key layout's promises, through the real handlers against the local DynamoDB: revoking a user or a VM
 * is an exact query of its own partitions (the calls made name no other partition), and a tenant whose
 * deletion began refuses its users at once.
 */

afterEach(() => resetClock());

const CONSOLE = 'VirtualMachine.Interact.ConsoleInteract';
const PASSWORD = 'lab-user-pass';

async function lab(): Promise<Lab> {
  const created = await createLab('layout', 'Key layout lab');
  for (const user of ['erin', 'frank']) await created.putUser(user, [CONSOLE]);
  for (const moId of ['vm-1', 'vm-2']) await created.putVm(moId);
  return created;
}

const ticketFor = async (sessionId: string, moId: string): Promise<string> => {
  const response = await api('POST', `/api/vcenter/vm/${moId}/console/tickets`, { headers: session(sessionId), body: { type: 'WEBMKS' } });
  expect(response.status).toBe(201);
  return /\/ticket\/([^/]+)$/.exec(response.body.ticket)![1]!;
};
const redeem = async (ticket: string) =>
  (await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } })).status;
const sessionStatus = async (sessionId: string) => (await api('GET', '/api/session', { headers: session(sessionId) })).status;

/** Every item of a partition, expired ones too (read straight from the table). */
async function itemsIn(pk: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await client().send(
    new QueryCommand({ TableName: tableName(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true }),
  );
  return Items;
}

describe('exact revocation', () => {
  it('revokes a changed user’s sessions and tickets, expired leftovers too, reading and writing only its own partitions', async () => {
    const { tenant } = await lab();
    const erinPartition = keys.userPartition(tenant, `erin@${tenant}`);
    // A session and a ticket of erin's that expire unused, left in the table (DynamoDB's TTL runs late).
    const stale = await loginVcenter(`erin@${tenant}`, PASSWORD);
    const staleTicket = await ticketFor(stale, 'vm-1');
    advanceClock(31 * 60 * 1000);
    const erin = await loginVcenter(`erin@${tenant}`, PASSWORD);
    const frank = await loginVcenter(`frank@${tenant}`, PASSWORD);
    const erinTickets = [await ticketFor(erin, 'vm-1'), await ticketFor(erin, 'vm-2')];
    const frankTickets = [await ticketFor(frank, 'vm-1'), await ticketFor(frank, 'vm-2')];
    // Two sessions, three tickets' pointers, all under erin's key; her tickets under each VM's.
    expect((await itemsIn(erinPartition)).map((item) => String(item.sk).split('#')[0]).sort()).toEqual([
      'SESSION',
      'SESSION',
      'TICKET',
      'TICKET',
      'TICKET',
    ]);
    expect(await itemsIn(keys.ticketPartition(tenant, 'vm-1'))).toHaveLength(3);

    const change = await countRoundTrips(() =>
      api('PUT', `/operator/v1/tenants/${tenant}/users/erin@${tenant}`, { headers: OPERATOR, body: { password: 'erin-new-password', privileges: [CONSOLE] } }),
    );
    expect(change.result.status).toBe(200);
    expectAllowedByIam('operatorPutUser', change.live.actions);
    // The tenant's own partition (the tenant read, the user put), erin's partition, the two VMs' ticket
    // partitions her tickets were in, the proxies to tell (and her open consoles, in the user index): nothing of
    // frank's, no query of the tenant.
    expect([...change.live.partitions].sort()).toEqual(
      [
        keys.tenantPartition(tenant),
        erinPartition,
        keys.ticketPartition(tenant, 'vm-1'),
        keys.ticketPartition(tenant, 'vm-2'),
        keys.proxiesPartition,
      ].sort(),
    );
    expect(await itemsIn(erinPartition)).toEqual([]);
    expect((await itemsIn(keys.ticketPartition(tenant, 'vm-1'))).map((item) => item.issuedTo)).toEqual([`frank@${tenant}`]);
    expect(await sessionStatus(erin)).toBe(401);
    for (const ticket of [...erinTickets, staleTicket]) expect(await redeem(ticket)).toBe(404);
    expect(await sessionStatus(frank)).toBe(200);
    for (const ticket of frankTickets) expect(await redeem(ticket)).toBe(200);
  });

  it('revokes a deleted VM’s tickets and guest state with one query of each of its partitions, and nothing else', async () => {
    const { tenant } = await lab();
    const erin = await loginVcenter(`erin@${tenant}`, PASSWORD);
    const frank = await loginVcenter(`frank@${tenant}`, PASSWORD);
    const vm1Tickets = [await ticketFor(erin, 'vm-1'), await ticketFor(frank, 'vm-1')];
    const vm2Tickets = [await ticketFor(erin, 'vm-2'), await ticketFor(frank, 'vm-2')];
    const credential = (await api('POST', `/operator/v1/tenants/${tenant}/vms/vm-1/agent-credentials`, { headers: OPERATOR })).body.credential;
    const heartbeat = () => api('POST', '/agent/v1/heartbeats', { headers: { authorization: `Bearer ${credential}` } });
    expect((await heartbeat()).status).toBeLessThan(300);
    expect(await itemsIn(keys.guestPartition(tenant, 'vm-1'))).toHaveLength(1);

    const removal = await countRoundTrips(() => api('DELETE', `/operator/v1/tenants/${tenant}/vms/vm-1`, { headers: OPERATOR }));
    expect(removal.result.status).toBe(204);
    expectAllowedByIam('operatorDeleteVm', removal.live.actions);
    expect([...removal.live.partitions].sort()).toEqual(
      [
        keys.tenantPartition(tenant),
        keys.ticketPartition(tenant, 'vm-1'),
        keys.guestPartition(tenant, 'vm-1'),
        keys.openConsolePartition(tenant, 'vm-1'),
        keys.proxiesPartition,
      ].sort(),
    );
    expect(await itemsIn(keys.ticketPartition(tenant, 'vm-1'))).toEqual([]);
    expect(await itemsIn(keys.guestPartition(tenant, 'vm-1'))).toEqual([]);
    expect((await heartbeat()).status).toBe(401);
    for (const ticket of vm1Tickets) expect(await redeem(ticket)).toBe(404);
    // The users' pointers to the deleted tickets stay until they expire with them; their sessions stand.
    expect((await itemsIn(keys.userPartition(tenant, `erin@${tenant}`))).filter((item) => item.vmMoId === 'vm-1')).toHaveLength(1);
    expect(await sessionStatus(erin)).toBe(200);
    for (const ticket of vm2Tickets) expect(await redeem(ticket)).toBe(200);
  });

  it('counts failed logins under the user name’s own key, not in the tenant’s partition', async () => {
    const { tenant } = await lab();
    const refused = await countRoundTrips(() => api('POST', '/api/session', { headers: basic(`erin@${tenant}`, 'wrong-password') }));
    expect(refused.result.status).toBe(401);
    const written = await itemsIn(keys.loginPartition(tenant, `erin@${tenant}`));
    expect(written).toEqual([expect.objectContaining({ sk: 'FAILURES', failures: 1 })]);
    // The tenant's partition is read (its profile and the user, in the login's one BatchGetItem), never written.
    expect(refused.live.partitions).toEqual(new Set([keys.tenantPartition(tenant), keys.loginPartition(tenant, `erin@${tenant}`)]));
    expect(refused.live.actions).toEqual(new Set(['BatchGetItem', 'UpdateItem']));
  });
});

describe('tenant deletion', () => {
  it('deletes every partition of the tenant: inventory, users’ sessions and tickets, VMs’ guest state, login failures, audit days', async () => {
    const { tenant } = await lab();
    const erin = await loginVcenter(`erin@${tenant}`, PASSWORD);
    await ticketFor(erin, 'vm-1');
    const credential = (await api('POST', `/operator/v1/tenants/${tenant}/vms/vm-2/agent-credentials`, { headers: OPERATOR })).body.credential;
    expect((await api('POST', '/agent/v1/heartbeats', { headers: { authorization: `Bearer ${credential}` } })).status).toBeLessThan(300);
    await api('POST', '/api/session', { headers: basic(`frank@${tenant}`, 'wrong-password') });
    await api('POST', '/api/session', { headers: basic(`ghost@${tenant}`, 'wrong-password') });
    const now = new Date().toISOString();
    const audit = await api('POST', '/console-proxy/v1/audit-records', {
      headers: CONSOLE_PROXY,
      body: {
        sessionId: randomUUID(),
        tenantId: tenant,
        vmMoId: 'vm-1',
        instanceUuid: randomUUID(),
        consoleType: 'webmks',
        principal: `erin@${tenant}`,
        ticketFingerprint: '0a1b2c3d',
        startedAt: now,
        endedAt: now,
        bytesToVm: 1,
        bytesFromVm: 2,
        endReason: 'client closed',
      },
    });
    expect(audit.status).toBe(204);
    const kinds = (items: Record<string, unknown>[]) => [...new Set(items.map((item) => String(item.pk).split('#')[0]))].sort();
    expect(kinds(await scanItems(tenant))).toEqual(['AUDIT', 'GUEST', 'LOGIN', 'SESSION', 'TENANT', 'TICKET']);

    expect((await api('DELETE', `/operator/v1/tenants/${tenant}`, { headers: OPERATOR })).status).toBe(202);
    // The drain job, run here as Lambda runs it, until it says the tenant is gone.
    process.env.TENANT_DELETION_SETTLE_SECONDS = '0';
    const context = { awsRequestId: randomUUID(), functionName: 'operatorDrainTenant', getRemainingTimeInMillis: () => 600_000 };
    try {
      await eventually(async () => {
        const run = (await drain({ tenantId: tenant, chain: randomUUID() }, context as unknown as Context)) as { state: string };
        return run.state === 'drained' || undefined;
      }, 'the tenant drained');
    } finally {
      delete process.env.TENANT_DELETION_SETTLE_SECONDS;
    }
    // What is left is the failure counter of a name that never was a user: no partition of the tenant leads
    // to it, and it expires with its window (every such item has a TTL).
    const left = await scanItems(tenant);
    expect(left).toEqual([expect.objectContaining({ pk: keys.loginPartition(tenant, `ghost@${tenant}`), expiresAt: expect.any(Number) })]);
  });
});

describe('a tenant whose deletion began', () => {
  const unauthenticatedApi = (message: string) => ({
    error_type: 'UNAUTHENTICATED',
    messages: [{ args: [], default_message: message, id: 'com.vmware.vapi.std.errors.unauthenticated' }],
  });
  const missingSession = unauthenticatedApi('The session is missing, expired or ended.');
  const refusedLogin = unauthenticatedApi('Cannot complete login due to an incorrect user name or password.');

  async function markDeleting(tenant: string): Promise<void> {
    const { Item } = await client().send(new GetCommand({ TableName: tableName(), Key: keys.tenant(tenant), ConsistentRead: true }));
    await client().send(new PutCommand({ TableName: tableName(), Item: { ...Item, deletingSince: new Date().toISOString() } }));
  }

  it.each([
    ['marked deleting', markDeleting],
    ['gone (its profile deleted)', async (tenant: string) => void (await client().send(new DeleteCommand({ TableName: tableName(), Key: keys.tenant(tenant) })))],
  ])('refuses, once the tenant is %s, every login and every session at once (vCenter, vim25, Nova, Keystone)', async (_case, end) => {
    const { tenant } = await lab();
    const erin = await loginVcenter(`erin@${tenant}`, PASSWORD);
    expect(await sessionStatus(erin)).toBe(200);
    const ticketCreate = () => api('POST', '/api/vcenter/vm/vm-1/console/tickets', { headers: session(erin), body: { type: 'WEBMKS' } });
    expect((await ticketCreate()).status).toBe(201);

    await end(tenant);

    const read = await countRoundTrips(() => api('GET', '/api/session', { headers: session(erin) }));
    expect(read.result.status).toBe(401);
    expect(read.result.body).toEqual(missingSession);
    expect(read.roundTrips).toBe(1);
    const create = await countRoundTrips(ticketCreate);
    expect(create.result.status).toBe(401);
    expect(create.result.body).toEqual(missingSession);
    expect(create.roundTrips).toBe(1);

    // Each dialect answers exactly as it answers an unknown session or a wrong password.
    const forged = `${tenant}.${'A'.repeat(16)}.${'A'.repeat(43)}`;
    const same = async (request: (credential: string) => Promise<{ status: number; body: unknown }>, refused: string) => {
      const [answer, expected] = [await request(erin), await request(refused)];
      expect(answer.status).toBe(401);
      expect(answer).toMatchObject({ status: expected.status, body: expected.body });
    };
    await same((token) => api('GET', '/compute/v2.1/servers', { headers: nova(token) }), forged);
    await same(
      (token) => api('POST', '/identity/v3/auth/tokens', { body: { auth: { identity: { methods: ['token'], token: { id: token } } } } }),
      forged,
    );
    const logins: [string, (password: string) => Promise<{ status: number; body: unknown }>][] = [
      ['vCenter', (password) => api('POST', '/api/session', { headers: basic(`erin@${tenant}`, password) })],
      [
        'Keystone',
        (password) =>
          api('POST', '/identity/v3/auth/tokens', {
            body: { auth: { identity: { methods: ['password'], password: { user: { name: `erin@${tenant}`, domain: { name: 'Default' }, password } } } } },
          }),
      ],
      [
        'vim25',
        (password) =>
          api('POST', '/sdk/vim25/8.0.3.0/SessionManager/SessionManager/Login', { body: { _typeName: 'Login', userName: `erin@${tenant}`, password } }),
      ],
    ];
    for (const [dialect, login] of logins) {
      const [answer, wrongPassword] = [await login(PASSWORD), await login('wrong-password')];
      expect(answer.status, dialect).not.toBeLessThan(400);
      expect(answer, dialect).toMatchObject({ status: wrongPassword.status, body: wrongPassword.body });
    }
    expect((await api('POST', '/api/session', { headers: basic(`erin@${tenant}`, PASSWORD) })).body).toEqual(refusedLogin);
  });
});
