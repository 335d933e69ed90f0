/**
 * The tenant's console limits in every dialect's own shape, through the real handlers (API Gateway events)
 * against the local DynamoDB: a console opened (its ticket redeemed by the console proxy) counts against the
 * VM's limit, the user's cap and the tenant's cap; the next console ticket is refused with vim25's
 * MksConnectionLimitReached, vCenter's unable_to_allocate_resource and Nova's 403.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { api, CONSOLE_PROXY, loginVcenter, OPERATOR, session } from '../support/api.js';
import { createLab } from '../support/lab.js';
import { nova, tokenOf } from '../support/nova.js';

const CONSOLE = 'VirtualMachine.Interact.ConsoleInteract';

async function limitedLab(consolePolicy: Record<string, number>) {
  const lab = await createLab('limits', 'Limits lab');
  await lab.put('', { displayName: 'Limits lab', consolePolicy });
  for (const user of ['erin', 'frank']) await lab.putUser(user, [CONSOLE]);
  const uuids: Record<string, string> = {};
  for (const moId of ['vm-1', 'vm-2']) {
    uuids[moId] = randomUUID();
    await lab.putVm(moId, { instanceUuid: uuids[moId] });
  }
  const sessions = { erin: await loginVcenter(`erin@${lab.tenant}`, 'lab-user-pass'), frank: await loginVcenter(`frank@${lab.tenant}`, 'lab-user-pass') };
  return { ...lab, uuids, sessions };
}

const vimTicket = (sessionId: string, moId: string) =>
  api('POST', `/sdk/vim25/8.0.3.0/VirtualMachine/${moId}/AcquireTicket`, { headers: session(sessionId), body: { ticketType: 'webmks' } });
const vcenterTicket = (sessionId: string, moId: string) =>
  api('POST', `/api/vcenter/vm/${moId}/console/tickets`, { headers: session(sessionId), body: { type: 'WEBMKS' } });
const novaConsole = (sessionId: string, uuid: string) =>
  api('POST', `/compute/v2.1/servers/${uuid}/remote-consoles`, {
    headers: nova(sessionId, '2.8'),
    body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
  });

/** Opens a console as the proxy does: a vim25 ticket, redeemed. */
async function open(sessionId: string, moId: string): Promise<string> {
  const ticket = await vimTicket(sessionId, moId);
  expect(ticket.status).toBe(200);
  const redeemed = await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket: ticket.body.ticket, clientAddress: '192.0.2.7', proxyInstance: 'proxy-x' } });
  expect(redeemed.status).toBe(200);
  return redeemed.body.session.sessionId;
}

describe('console limits', () => {
  it("refuses the VM's (limit+1)th console in every dialect's shape, and counts only open consoles", async () => {
    const lab = await limitedLab({ connectionLimitPerVm: 1 });
    const label = await open(lab.sessions.erin, 'vm-1');
    const message = 'Virtual machine vm-1 already has 1 open consoles; its limit is 1.';

    expect(await vimTicket(lab.sessions.frank, 'vm-1')).toMatchObject({
      status: 500,
      body: { _typeName: 'MksConnectionLimitReached', faultstring: message, connectionLimit: 1 },
    });
    const vcenter = await vcenterTicket(lab.sessions.frank, 'vm-1');
    expect({ status: vcenter.status, body: vcenter.body }).toEqual({
      status: 500,
      body: { error_type: 'UNABLE_TO_ALLOCATE_RESOURCE', messages: [{ args: [], default_message: message, id: 'com.vmware.vapi.std.errors.unable_to_allocate_resource' }] },
    });
    const novaRefused = await novaConsole(lab.sessions.frank, lab.uuids['vm-1']!);
    expect({ status: novaRefused.status, body: novaRefused.body }).toEqual({ status: 403, body: { forbidden: { code: 403, message } } });
    // Another VM has room; a device ticket opens no console and meets no limit (only the privilege it needs).
    expect((await vimTicket(lab.sessions.frank, 'vm-2')).status).toBe(200);
    const device = await api('POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-1/AcquireTicket', { headers: session(lab.sessions.erin), body: { ticketType: 'device' } });
    expect(device.body._typeName).toBe('NoPermission');

    // The registry names who opened it and from where.
    const listed = await api('POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-1/QueryConnections', { headers: session(lab.sessions.frank) });
    expect(listed.body).toEqual([{ _typeName: 'VirtualMachineMksConnection', label, client: '192.0.2.7', userName: `erin@${lab.tenant}` }]);

    // Its end report frees the slot, and writes the audit record.
    const now = new Date().toISOString();
    const report = await api('POST', '/console-proxy/v1/audit-records', {
      headers: CONSOLE_PROXY,
      body: {
        sessionId: label, tenantId: lab.tenant, vmMoId: 'vm-1', instanceUuid: lab.uuids['vm-1'], consoleType: 'webmks', principal: `erin@${lab.tenant}`,
        ticketFingerprint: '0a1b2c3d', startedAt: now, endedAt: now, bytesToVm: 0, bytesFromVm: 0, endReason: 'client closed',
      },
    });
    expect(report.status).toBe(204);
    expect((await vcenterTicket(lab.sessions.frank, 'vm-1')).status).toBe(201);
    const novaUrl = (await novaConsole(lab.sessions.frank, lab.uuids['vm-1']!)).body.remote_console.url;
    expect(tokenOf(novaUrl)).not.toBe('');
  });

  it("enforces the per-user and per-tenant caps, and the heartbeat answers the consoles that were ended", async () => {
    const lab = await limitedLab({ connectionLimitPerUser: 1, connectionLimitPerTenant: 2 });
    const erins = await open(lab.sessions.erin, 'vm-1');
    const refused = await vimTicket(lab.sessions.erin, 'vm-2');
    expect(refused.body).toMatchObject({ _typeName: 'MksConnectionLimitReached', connectionLimit: 1, faultstring: `User erin@${lab.tenant} already has 1 open consoles; the limit is 1.` });
    const franks = await open(lab.sessions.frank, 'vm-1');
    await lab.putUser('gina', [CONSOLE]);
    const gina = await loginVcenter(`gina@${lab.tenant}`, 'lab-user-pass');
    expect((await vimTicket(gina, 'vm-2')).body).toMatchObject({ _typeName: 'MksConnectionLimitReached', connectionLimit: 2 });

    // The operator ends erin's console; the proxy's next heartbeat learns so.
    expect((await api('DELETE', `/operator/v1/tenants/${lab.tenant}/console-sessions/${erins}`, { headers: OPERATOR })).status).toBe(204);
    const heartbeat = await api('POST', '/console-proxy/v1/heartbeats', {
      headers: CONSOLE_PROXY,
      body: {
        sessions: [erins, franks].map((sessionId) => ({ sessionId, tenantId: lab.tenant, vmMoId: 'vm-1', lastInputAt: new Date().toISOString() })),
      },
    });
    expect({ status: heartbeat.status, body: heartbeat.body }).toEqual({ status: 200, body: { ended: [erins] } });
    expect((await vimTicket(gina, 'vm-2')).status).toBe(200);
    // The heartbeat is the console proxy's only.
    expect((await api('POST', '/console-proxy/v1/heartbeats', { headers: OPERATOR, body: { sessions: [] } })).status).toBe(401);
  });

  it('refuses a console policy out of bounds with the operator API\'s 400', async () => {
    const lab = await createLab('limits', 'Limits lab');
    const response = await api('PUT', `/operator/v1/tenants/${lab.tenant}`, { headers: OPERATOR, body: { displayName: 'x', consolePolicy: { connectionLimitPerVm: 0 } } });
    expect(response.status).toBe(400);
    expect(response.body.error_type).toBe('INVALID_ARGUMENT');
  });
});
