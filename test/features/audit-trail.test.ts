/**
 * The operator's reading of a tenant's audit trail (docs/operator-api.md), through the real handlers (API
 * Gateway events) against the local DynamoDB: a recorded console opened, watched by a shadow, ended, its
 * recording played — the day's trail lists exactly those entries, in time order, paged; another tenant's
 * trail shows none of them; a bad day or cursor is refused with the operator API's 400.
 */
import { describe, expect, it } from 'vitest';
import { api, CONSOLE_PROXY, loginVcenter, OPERATOR, session } from '../support/api.js';
import { expectAllowedByIam } from '../support/iam.js';
import { createLab, type Lab } from '../support/lab.js';
import { countRoundTrips } from '../support/store-instrumentation.js';

const CONSOLE = 'VirtualMachine.Interact.ConsoleInteract';
const ADMINISTRATOR = 'The console session was ended by an administrator.';
const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const invalidArgument = (message: string) => ({
  error_type: 'INVALID_ARGUMENT',
  messages: [{ args: [], default_message: message, id: 'com.vmware.vapi.std.errors.invalid_argument' }],
});

const trail = (tenant: string, query = '') => api('GET', `/operator/v1/tenants/${tenant}/audit-trail${query}`, { headers: OPERATOR });
const redeem = (ticket: string) =>
  api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket, clientAddress: '198.51.100.9', proxyInstance: 'proxy-a' } });

async function recordedLab(): Promise<Lab & { alice: string }> {
  const lab = await createLab('trail', 'Audited');
  await lab.put('', { displayName: 'Audited', recordingPolicy: { record: true, retentionDays: 30 } });
  await lab.putUser('alice', [CONSOLE]);
  await lab.putVm('vm-1');
  return { ...lab, alice: await loginVcenter(`alice@${lab.tenant}`, 'lab-user-pass') };
}

/**
 * A recorded console of alice on vm-1 (ticket issued and redeemed), watched by an operator's shadow that the
 * operator then ends, ended by its proxy's report, its recording played once. @returns what the trail names.
 */
async function auditedDay(lab: Lab & { alice: string }) {
  const ticket = await api('POST', '/api/vcenter/vm/vm-1/console/tickets', { headers: session(lab.alice), body: { type: 'WEBMKS' } });
  expect(ticket.status, ticket.text).toBe(201);
  const target = await redeem(/\/ticket\/([^/]+)$/.exec(ticket.body.ticket)![1]!);
  expect(target.status, target.text).toBe(200);
  const { sessionId } = target.body.session;
  const { recordingId } = target.body.recording;
  const opened = (await api('GET', `/operator/v1/tenants/${lab.tenant}/console-sessions`, { headers: OPERATOR })).body.consoleSessions;
  const startedAt: string = opened.find((open: any) => open.sessionId === sessionId).startedAt;

  const shadowTicket = await api('POST', `/operator/v1/tenants/${lab.tenant}/console-sessions/${sessionId}/shadows`, { headers: OPERATOR });
  expect(shadowTicket.status, shadowTicket.text).toBe(201);
  const shadow = await redeem(shadowTicket.body.ticket);
  expect(shadow.status, shadow.text).toBe(200);
  const shadowSessionId = shadow.body.session.sessionId;
  const endShadow = await api('DELETE', `/operator/v1/tenants/${lab.tenant}/console-sessions/${shadowSessionId}`, { headers: OPERATOR });
  expect(endShadow.status).toBe(204);

  const endedAt = new Date().toISOString();
  const report = {
    sessionId, tenantId: lab.tenant, vmMoId: 'vm-1', instanceUuid: target.body.instanceUuid, consoleType: target.body.consoleType,
    principal: target.body.issuedTo, ticketFingerprint: '0a1b2c3d', startedAt, endedAt, bytesToVm: 10, bytesFromVm: 2000,
    endReason: 'client closed', clientAddress: '198.51.100.9',
    recording: { recordingId, state: 'recorded', chunks: 2, bytes: 1234 },
  };
  const reported = await api('POST', '/console-proxy/v1/audit-records', { headers: CONSOLE_PROXY, body: report });
  expect(reported.status, reported.text).toBe(204);

  const link = await api('POST', `/operator/v1/tenants/${lab.tenant}/recordings/${recordingId}/playbacks`, { headers: OPERATOR });
  expect(link.status, link.text).toBe(201);
  const played = await api('POST', '/console-proxy/v1/playbacks', { headers: CONSOLE_PROXY, body: { token: new URL(link.body.url).searchParams.get('token') } });
  expect(played.status, played.text).toBe(200);
  return { target: target.body, sessionId, recordingId, shadowSessionId, startedAt, endedAt, report };
}

describe('GET /operator/v1/tenants/{tenant}/audit-trail', () => {
  it('lists the day\'s console session and its recording\'s and shadow\'s entries, in time order; another tenant\'s trail shows none', async () => {
    const lab = await recordedLab();
    const other = await recordedLab();
    const day = await auditedDay(lab);
    const { sessionId, recordingId, shadowSessionId, startedAt, endedAt, report } = day;
    const user = `alice@${lab.tenant}`;
    const recording = { tenantId: lab.tenant, recordingId, vmMoId: 'vm-1', userName: user, sessionId };
    const watch = { tenantId: lab.tenant, watcher: 'operator', shadowSessionId, watchedSessionId: sessionId, watchedUser: user, vmMoId: 'vm-1' };

    const { result: read, live, roundTrips } = await countRoundTrips(() => trail(lab.tenant, `?day=${startedAt.slice(0, 10)}`));
    expectAllowedByIam('operatorGetAuditTrail', live.actions);
    // The tenant (GetItem), then the day's console sessions and its entries (a Query each).
    expect(roundTrips).toBe(3);
    expect({ status: read.status, body: read.body }).toEqual({
      status: 200,
      body: {
        day: startedAt.slice(0, 10),
        entries: [
          // A console session and its recording start at the same instant: the session comes first.
          {
            event: 'console session', at: startedAt, sessionId, tenantId: lab.tenant, vmMoId: 'vm-1', instanceUuid: report.instanceUuid,
            consoleType: report.consoleType, principal: user, ticketFingerprint: '0a1b2c3d', startedAt, endedAt, bytesToVm: 10,
            bytesFromVm: 2000, endReason: 'client closed', clientAddress: '198.51.100.9', recording: report.recording, recordedAt: iso,
          },
          { ...recording, event: 'recording started', at: startedAt },
          { ...watch, event: 'shadow started', at: iso },
          { ...watch, event: 'shadow ended', at: iso, reason: ADMINISTRATOR },
          { ...recording, event: 'recording stopped', at: endedAt, state: 'recorded' },
          { ...recording, event: 'recording played', at: iso, viewer: 'operator', tokenFingerprint: expect.stringMatching(/^[0-9a-f]{8}$/) },
        ],
      },
    });
    const times = read.body.entries.map((entry: any) => entry.at);
    expect(times).toEqual([...times].sort());

    // Today is the default day.
    const today = await trail(lab.tenant);
    expect(today.status).toBe(200);
    expect(today.body).toEqual({ ...read.body, day: new Date().toISOString().slice(0, 10) });

    // Another tenant's trail of the same day holds none of it.
    expect((await trail(other.tenant, `?day=${startedAt.slice(0, 10)}`)).body).toEqual({ day: startedAt.slice(0, 10), entries: [] });
    expect(JSON.stringify((await trail(other.tenant)).body)).not.toContain(lab.tenant);
  });

  it('pages: `limit` entries, then `next` for the page after, until the day\'s last entry', async () => {
    const lab = await recordedLab();
    const { startedAt } = await auditedDay(lab);
    const query = `?day=${startedAt.slice(0, 10)}`;
    const whole = (await trail(lab.tenant, query)).body.entries;
    expect(whole).toHaveLength(6);
    const paged: unknown[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await trail(lab.tenant, `${query}&limit=4${next ? `&next=${next}` : ''}`);
      expect(page.status, page.text).toBe(200);
      paged.push(...page.body.entries);
      next = page.body.next;
      pages += 1;
    } while (next);
    expect(pages).toBe(2);
    expect(paged).toEqual(whole);
  });

  it.each([
    ['?day=2026-13-01', 'day: expected a UTC day, yyyy-mm-dd'],
    ['?day=yesterday', 'day: expected a UTC day, yyyy-mm-dd'],
    ['?day=2026-02-30', 'day: expected a UTC day, yyyy-mm-dd'],
    ['?limit=0', 'limit: Number must be greater than or equal to 1'],
    ['?next=bm90LWEtY3Vyc29y', 'next: not a cursor of this list'],
  ])('refuses %s with the operator API\'s 400', async (query, message) => {
    const lab = await createLab('trail', 'Audited');
    const refused = await trail(lab.tenant, query);
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: invalidArgument(`Invalid value for ${message}.`) });
  });

  it('refuses a cursor of another day (400), and answers an unknown tenant 404', async () => {
    const lab = await createLab('trail', 'Audited');
    const cursor = Buffer.from('2026-11-24T20:00:00.000Z#0#6f1c1c2e-8d4b-4f7a-9a55-0c1e2d3f4a5b').toString('base64url');
    const refused = await trail(lab.tenant, `?day=2026-11-25&next=${cursor}`);
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: invalidArgument('The cursor is not one of this day\'s audit trail.') });
    const unknown = await trail('no-such-tenant', '?day=2026-11-25');
    expect(unknown.status).toBe(404);
    // A cursor made up by hand reads on from where it says, in this tenant's day only; one that is not ASCII
    // (its sort key could outgrow DynamoDB's) is no cursor of this list.
    const madeUp = (position: string) => trail(lab.tenant, `?day=2026-11-25&next=${Buffer.from(position).toString('base64url')}`);
    expect((await madeUp('2026-11-25T00:00:00.000Z#1#~~~')).body).toEqual({ day: '2026-11-25', entries: [] });
    expect((await madeUp(`2026-11-25T00:00:00.000Z#0#${'é'.repeat(400)}`)).body).toEqual(invalidArgument('Invalid value for next: not a cursor of this list.'));
  });
});
