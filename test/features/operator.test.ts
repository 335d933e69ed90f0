import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { api, basic, CONSOLE_PROXY, loginVcenter, OPERATOR, session } from '../support/api.js';
import { getVm } from '../../lib/core/inventory.js';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { client } from '../../lib/store/client.js';
import { countRoundTrips, faults } from '../support/store-instrumentation.js';
import { keys, SK } from '../../lib/store/keys.js';
import { issueConsoleTicket } from '../support/console-fixtures.js';
import { expectAllowedByIam } from '../support/iam.js';
import { LAB_SHA256, labVmSpec } from '../support/lab.js';

const SHA256 = LAB_SHA256;
const vmSpec = (overrides: Record<string, unknown> = {}) => labVmSpec('test-vm', overrides);

const newTenant = async () => {
  const tenantId = `t-${randomUUID().slice(0, 8)}`;
  const response = await api('PUT', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR, body: { displayName: 'Test' } });
  expect(response.status).toBe(200);
  return tenantId;
};

const invalidArgument = (field: string) => ({
  error_type: 'INVALID_ARGUMENT',
  messages: [{ args: [], default_message: expect.stringContaining(field), id: 'com.vmware.vapi.std.errors.invalid_argument' }],
});

describe('operator authentication', () => {
  it.each([
    ['no key', {}],
    ['a wrong key', { authorization: 'Bearer not-the-key' }],
    ['the console proxy key', CONSOLE_PROXY],
    ['a tenant session as bearer', { authorization: 'Bearer acme.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }],
  ])('refuses %s with 401', async (_case, headers) => {
    const response = await api('GET', '/operator/v1/tenants', { headers });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error_type: 'UNAUTHENTICATED',
      messages: [{ args: [], default_message: 'A valid platform key is required.', id: 'com.vmware.vapi.std.errors.unauthenticated' }],
    });
  });

  it('a tenant user session is not an operator credential', async () => {
    const sessionId = await loginVcenter();
    const response = await api('GET', '/operator/v1/tenants', { headers: { ...session(sessionId), authorization: `Bearer ${sessionId}` } });
    expect(response.status).toBe(401);
  });
});

describe('tenants', () => {
  it('lists the demo tenants, page by page', async () => {
    const tenants: unknown[] = [];
    let next: string | undefined;
    do {
      const response = await api('GET', `/operator/v1/tenants${next ? `?next=${next}` : ''}`, { headers: OPERATOR });
      expect(response.status).toBe(200);
      tenants.push(...response.body.tenants);
      next = response.body.next;
    } while (next);
    expect(tenants).toEqual(
      expect.arrayContaining([
        { tenantId: 'acme', displayName: 'ACME Corporation', createdAt: expect.any(String) },
        { tenantId: 'globex', displayName: 'Globex Corporation', createdAt: expect.any(String) },
      ]),
    );
  });

  it('creates, renames (keeping createdAt), reads and deletes a tenant (deletion drains in the background: test/features/tenant-deletion.test.ts)', async () => {
    const tenantId = await newTenant();
    const first = await api('GET', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR });
    const renamed = await api('PUT', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR, body: { displayName: 'Renamed' } });
    expect(renamed.body).toEqual({ tenantId, displayName: 'Renamed', createdAt: first.body.createdAt });

    const deleted = await api('DELETE', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR });
    expect(deleted.status).toBe(202);
    expect(deleted.body).toEqual({ tenantId, displayName: 'Renamed', createdAt: first.body.createdAt, deletingSince: expect.any(String) });
    expect((await api('GET', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR })).body).toEqual(deleted.body);
  });

  it.each([
    ['an upper-case id', '/operator/v1/tenants/ACME', { displayName: 'x' }, 'tenant'],
    ['an empty display name', '/operator/v1/tenants/ok-name', { displayName: '' }, 'displayName'],
    ['an unknown field', '/operator/v1/tenants/ok-name', { displayName: 'x', extra: 1 }, 'the request body'],
    ['no body', '/operator/v1/tenants/ok-name', undefined, 'the request body'],
  ])('refuses %s with 400 invalid_argument', async (_case, path, body, field) => {
    const response = await api('PUT', path, { headers: OPERATOR, body });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(invalidArgument(field));
  });
});

describe('users', () => {
  it('creates a user whose password is stored hashed and who can log in with exactly its privileges', async () => {
    const tenantId = await newTenant();
    const put = await api('PUT', `/operator/v1/tenants/${tenantId}/users/alice@${tenantId}`, {
      headers: OPERATOR,
      body: { password: 'alice-password', fullName: 'Alice', privileges: ['VirtualMachine.Interact.ConsoleInteract'] },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      tenantId,
      userName: `alice@${tenantId}`,
      fullName: 'Alice',
      privileges: ['VirtualMachine.Interact.ConsoleInteract'],
      updatedAt: expect.any(String),
    });
    const list = await api('GET', `/operator/v1/tenants/${tenantId}/users`, { headers: OPERATOR });
    expect(list.body).toEqual({ users: [put.body] });
    expect(JSON.stringify(list.body)).not.toContain('alice-password');
    const sessionId = (await api('POST', '/api/session', { headers: basic(`alice@${tenantId}`, 'alice-password') })).body;
    expect((await api('GET', '/api/session', { headers: session(sessionId) })).status).toBe(200);

    expect((await api('DELETE', `/operator/v1/tenants/${tenantId}/users/alice@${tenantId}`, { headers: OPERATOR })).status).toBe(204);
    expect((await api('POST', '/api/session', { headers: basic(`alice@${tenantId}`, 'alice-password') })).status).toBe(401);
    expect((await api('GET', `/operator/v1/tenants/${tenantId}/users/alice@${tenantId}`, { headers: OPERATOR })).status).toBe(404);
    // Deleting the user ended its live session too.
    expect((await api('GET', '/api/session', { headers: session(sessionId) })).status).toBe(401);
  });

  it('grants the privileges of vSphere-style roles beside single ones: a console auditor holds no interactive console', async () => {
    const tenantId = await newTenant();
    const put = await api('PUT', `/operator/v1/tenants/${tenantId}/users/audrey@${tenantId}`, {
      headers: OPERATOR,
      body: { password: 'audrey-password', roles: ['ConsoleAuditor', 'VirtualMachineConsoleUser'], privileges: ['VirtualMachine.Interact.ConsoleInteract'] },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      tenantId,
      userName: `audrey@${tenantId}`,
      privileges: ['VirtualMachine.Interact.ConsoleInteract', 'VirtualMachine.Interact.ConsoleAudit', 'VirtualMachine.Interact.DeviceConnection'],
      updatedAt: expect.any(String),
    });
    const auditor = await api('PUT', `/operator/v1/tenants/${tenantId}/users/ada@${tenantId}`, {
      headers: OPERATOR,
      body: { password: 'ada-password', roles: ['ConsoleAuditor'] },
    });
    expect(auditor.body.privileges).toEqual(['VirtualMachine.Interact.ConsoleAudit']);
    const unknown = await api('PUT', `/operator/v1/tenants/${tenantId}/users/ada@${tenantId}`, {
      headers: OPERATOR,
      body: { password: 'ada-password', roles: ['Admin'] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error_type).toBe('INVALID_ARGUMENT');
  });

  it('ends a user\'s sessions when its privileges change, so no session keeps revoked privileges', async () => {
    const tenantId = await newTenant();
    const path = `/operator/v1/tenants/${tenantId}/users/carol@${tenantId}`;
    const privileges = ['VirtualMachine.Interact.ConsoleInteract'];
    await api('PUT', path, { headers: OPERATOR, body: { password: 'carol-password', privileges } });
    const sessionId = (await api('POST', '/api/session', { headers: basic(`carol@${tenantId}`, 'carol-password') })).body;
    await api('PUT', path, { headers: OPERATOR, body: { password: 'carol-password', privileges: [] } });
    expect((await api('GET', '/api/session', { headers: session(sessionId) })).status).toBe(401);
  });

  it("revokes a user's outstanding tickets when the user is changed or deleted", async () => {
    const tenantId = await newTenant();
    const userName = `dave@${tenantId}`;
    const path = `/operator/v1/tenants/${tenantId}/users/${userName}`;
    const body = { password: 'dave-password', privileges: ['VirtualMachine.Interact.ConsoleInteract'] };
    await api('PUT', path, { headers: OPERATOR, body });
    await api('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-1`, { headers: OPERATOR, body: vmSpec() });
    const vm = await getVm(tenantId, 'vm-1');
    const redeem = async (ticket: string) =>
      (await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } })).status;

    const [changedAway, othersTicket] = [await issueConsoleTicket(vm, 'WEBMKS', userName), await issueConsoleTicket(vm)];
    await api('PUT', path, { headers: OPERATOR, body: { ...body, privileges: [] } });
    expect(await redeem(changedAway)).toBe(404);
    expect(await redeem(othersTicket)).toBe(200);

    const deletedAway = await issueConsoleTicket(vm, 'WEBMKS', userName);
    expect((await api('DELETE', path, { headers: OPERATOR })).status).toBe(204);
    expect(await redeem(deletedAway)).toBe(404);
  });

  it('gives no session to a login whose password check overlapped a change of the user', async () => {
    const tenantId = await newTenant();
    const userName = `erin@${tenantId}`;
    const path = `/operator/v1/tenants/${tenantId}/users/${userName}`;
    await api('PUT', path, { headers: OPERATOR, body: { password: 'erin-password', privileges: [] } });
    // Hold the login's session write until the operator has changed the user and ended its sessions.
    let raced = false;
    faults.inject = async (command) => {
      if (command !== 'PutItemCommand' || raced) return;
      raced = true;
      expect((await api('PUT', path, { headers: OPERATOR, body: { password: 'erin-password-2', privileges: [] } })).status).toBe(200);
    };
    try {
      const response = await api('POST', '/api/session', { headers: basic(userName, 'erin-password') });
      expect(raced).toBe(true);
      expect(response.status).toBe(401);
    } finally {
      faults.inject = undefined;
    }
    const { Items = [] } = await client().send(
      new QueryCommand({
        TableName: process.env.TABLE_NAME,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.userPartition(tenantId, userName), ':prefix': SK.sessionPrefix },
      }),
    );
    expect(Items).toEqual([]);
  });

  it.each([
    ['a user of another tenant domain', 'bob@acme', { password: 'long-enough', privileges: [] }, 400],
    ['an unknown privilege', 'bob@TENANT', { password: 'long-enough', privileges: ['System.Anonymous'] }, 400],
    ['a short password', 'bob@TENANT', { password: 'short' }, 400],
    ['a user name without a domain', 'bob', { password: 'long-enough' }, 400],
  ])('refuses %s', async (_case, user, body, status) => {
    const tenantId = await newTenant();
    const response = await api('PUT', `/operator/v1/tenants/${tenantId}/users/${user.replace('TENANT', tenantId)}`, {
      headers: OPERATOR,
      body,
    });
    expect(response.status).toBe(status);
    expect(response.body.error_type).toBe('INVALID_ARGUMENT');
  });

  it('refuses a user for a tenant that does not exist with 404', async () => {
    const response = await api('PUT', '/operator/v1/tenants/no-such-tenant/users/a@no-such-tenant', {
      headers: OPERATOR,
      body: { password: 'long-enough' },
    });
    expect(response.status).toBe(404);
  });
});

describe('VMs', () => {
  it('stores the full VM record and lists it', async () => {
    const tenantId = await newTenant();
    const spec = vmSpec();
    const put = await api('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-42`, { headers: OPERATOR, body: spec });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      ...spec,
      connectionState: 'connected',
      tenantId,
      moId: 'vm-42',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(put.body.createdAt).toBe(put.body.updatedAt);
    expect((await api('GET', `/operator/v1/tenants/${tenantId}/vms/vm-42`, { headers: OPERATOR })).body).toEqual(put.body);
    expect((await api('GET', `/operator/v1/tenants/${tenantId}/vms`, { headers: OPERATOR })).body).toEqual({ vms: [put.body] });
  });

  it('keeps two tenants\' VMs of the same moId apart', async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    await api('PUT', `/operator/v1/tenants/${a}/vms/vm-42`, { headers: OPERATOR, body: vmSpec({ name: 'a-vm' }) });
    await api('PUT', `/operator/v1/tenants/${b}/vms/vm-42`, { headers: OPERATOR, body: vmSpec({ name: 'b-vm' }) });
    expect((await api('GET', `/operator/v1/tenants/${a}/vms/vm-42`, { headers: OPERATOR })).body.name).toBe('a-vm');
    expect((await api('GET', `/operator/v1/tenants/${b}/vms/vm-42`, { headers: OPERATOR })).body.name).toBe('b-vm');
    expect((await api('DELETE', `/operator/v1/tenants/${a}/vms/vm-42`, { headers: OPERATOR })).status).toBe(204);
    expect((await api('GET', `/operator/v1/tenants/${b}/vms/vm-42`, { headers: OPERATOR })).status).toBe(200);
  });

  it("revokes a VM's tickets when its console moves, and everything bound to it when it is deleted", async () => {
    const tenantId = await newTenant();
    const vmPath = (moId: string) => `/operator/v1/tenants/${tenantId}/vms/${moId}`;
    const putVm = async (moId: string, overrides: Record<string, unknown>) =>
      expect((await api('PUT', vmPath(moId), { headers: OPERATOR, body: vmSpec(overrides) })).status).toBe(200);
    const ticketFor = async (moId: string) => issueConsoleTicket(await getVm(tenantId, moId));
    const redeem = async (ticket: string) =>
      (await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } })).status;

    const vm1 = { instanceUuid: randomUUID(), vnc: { host: '127.0.0.1', port: 5901 } };
    await putVm('vm-1', vm1);
    await putVm('vm-2', { vnc: { host: '127.0.0.1', port: 5902 } });
    const [renamed, moved, other] = [await ticketFor('vm-1'), await ticketFor('vm-1'), await ticketFor('vm-2')];

    await putVm('vm-1', { ...vm1, name: 'renamed' });
    expect(await redeem(renamed)).toBe(200);

    const move = await countRoundTrips(() => putVm('vm-1', { ...vm1, vnc: { host: '127.0.0.1', port: 5911 } }));
    expect(await redeem(moved)).toBe(404);
    expectAllowedByIam('operatorPutVm', move.live.actions);

    const deleted = await ticketFor('vm-1');
    const agentCredential = (await api('POST', `${vmPath('vm-1')}/agent-credentials`, { headers: OPERATOR })).body.credential;
    const heartbeat = () => api('POST', '/agent/v1/heartbeats', { headers: { authorization: `Bearer ${agentCredential}` } });
    expect((await heartbeat()).status).toBeLessThan(300);
    const removal = await countRoundTrips(() => api('DELETE', vmPath('vm-1'), { headers: OPERATOR }));
    expect(removal.result.status).toBe(204);
    expect(await redeem(deleted)).toBe(404);
    // The old machine's agent is no longer enrolled: nothing meant for a VM that takes the moId can reach it.
    expect((await heartbeat()).status).toBe(401);
    expectAllowedByIam('operatorDeleteVm', removal.live.actions);
    expect(await redeem(other)).toBe(200);

    // Another instance UUID under the same moId is another machine: the old one's agent goes too.
    const vm2Credential = (await api('POST', `${vmPath('vm-2')}/agent-credentials`, { headers: OPERATOR })).body.credential;
    const vm2Ticket = await ticketFor('vm-2');
    await putVm('vm-2', { vnc: { host: '127.0.0.1', port: 5902 } });
    expect(await redeem(vm2Ticket)).toBe(404);
    const vm2Heartbeat = await api('POST', '/agent/v1/heartbeats', { headers: { authorization: `Bearer ${vm2Credential}` } });
    expect(vm2Heartbeat.status).toBe(401);
  });

  it('refuses an instance UUID already used by another VM of the tenant', async () => {
    const tenantId = await newTenant();
    const spec = vmSpec();
    await api('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-1`, { headers: OPERATOR, body: spec });
    const response = await api('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-2`, { headers: OPERATOR, body: spec });
    expect(response.status).toBe(400);
    expect(response.body.error_type).toBe('ALREADY_EXISTS');
  });

  it.each([
    ['a bad power state', { powerState: 'on' }, 'powerState'],
    ['a bad SHA-1 thumbprint', { host: { address: 'h', port: 443, sslThumbprintSha1: 'abc', sslThumbprintSha256: SHA256 } }, 'host.sslThumbprintSha1'],
    ['a port out of range', { vnc: { host: '127.0.0.1', port: 70000 } }, 'vnc.port'],
    ['a non-UUID instance id', { instanceUuid: 'server-1' }, 'instanceUuid'],
    ['a wrongly typed name', { name: 42 }, 'name'],
  ])('refuses %s with 400 naming the field', async (_case, overrides, field) => {
    const tenantId = await newTenant();
    const response = await api('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-1`, { headers: OPERATOR, body: vmSpec(overrides) });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(invalidArgument(field));
    expect((await api('GET', `/operator/v1/tenants/${tenantId}/vms/vm-1`, { headers: OPERATOR })).status).toBe(404);
  });

  it('refuses a malformed JSON body and an oversized one with 400, never a 500', async () => {
    const tenantId = await newTenant();
    const malformed = await api('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-1`, { headers: OPERATOR, body: '{"name":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.messages[0].default_message).toBe('The request body is not valid JSON.');
    const huge = await api('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-1`, {
      headers: OPERATOR,
      body: JSON.stringify(vmSpec({ name: 'x'.repeat(70_000) })),
    });
    expect(huge.status).toBe(400);
    expect(huge.body.messages[0].default_message).toMatch(/exceeds 65536 bytes/);
  });
});
