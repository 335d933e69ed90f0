/**
 * Read-only shadowing's API (docs/shadowing.md) through the real handlers (API Gateway events) against the
 * local DynamoDB: shadow tickets for the operator and a tenant auditor, their redemption by the console proxy,
 * the registry, the limits, the watch and end orders pushed to a console proxy's connection (a connection
 * management endpoint answering as API Gateway does records each PostToConnection), heartbeats, the audit trail.
 */
import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Socket from '../../functions/guest-agent/agent-socket.js';
import { advanceClock, resetClock } from '../../lib/core/clock.js';
import { listAuditEvents } from '../../lib/core/audit.js';
import type { ShadowAuditEvent } from '../../lib/records.js';
import { api, CONSOLE_PROXY, loginVcenter, OPERATOR, session } from '../support/api.js';
import { createLab, type Lab } from '../support/lab.js';
import { countRoundTrips } from '../support/store-instrumentation.js';
import { expectAllowedByIam } from '../support/iam.js';
import { eventually } from '../support/wait.js';

const CONSOLE = 'VirtualMachine.Interact.ConsoleInteract';
const AUDIT = 'VirtualMachine.Interact.ConsoleAudit';
const ADMINISTRATOR = 'The console session was ended by an administrator.';
const WATCHED_ENDED = 'The watched console session ended.';
const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const uuid = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const context = { awsRequestId: 'shadows', functionName: 'socket', getRemainingTimeInMillis: () => 29_000 } as unknown as Context;
const notFound = (message: string, type = 'not_found') => ({
  error_type: type.toUpperCase(),
  messages: [{ args: [], default_message: message, id: `com.vmware.vapi.std.errors.${type}` }],
});

/** A connection management endpoint as API Gateway serves it: each PostToConnection to our proxy recorded. */
let management: Server;
const connectionId = `shadow-proxy-${randomUUID()}`;
const orders: any[] = [];

const connection = (routeKey: string) => ({
  requestContext: { routeKey, eventType: routeKey === '$connect' ? 'CONNECT' : 'DISCONNECT', connectionId, authorizer: { role: 'consoleProxy' } },
});

beforeAll(async () => {
  management = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      if (request.url === `/@connections/${encodeURIComponent(connectionId)}`) orders.push(JSON.parse(body));
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => management.listen(0, '127.0.0.1', resolve));
  process.env.AGENT_CONNECTIONS_ENDPOINT = `http://127.0.0.1:${(management.address() as AddressInfo).port}`;
  // The console proxy's order channel, as its $connect records it.
  expect(await Socket.connect(connection('$connect'), context)).toEqual({ statusCode: 200 });
});

afterAll(async () => {
  await Socket.disconnect(connection('$disconnect'), context);
  delete process.env.AGENT_CONNECTIONS_ENDPOINT;
  management.close();
});

/** The orders pushed for the lab's tenant since it was set up (putting its users pushes orders too), in order. */
/** The tenant's shadow entries of the audit trail on `day`, in time order. */
const listShadowAudits = async (tenantId: string, day: string) =>
  (await listAuditEvents(tenantId, day)).filter((entry): entry is ShadowAuditEvent => entry.event.startsWith('shadow '));

const ordersOf = (lab: ShadowLab) => orders.slice(lab.ordersBefore).filter((order) => order.tenantId === lab.tenant);

interface ShadowLab extends Lab {
  instanceUuid: string;
  sessions: Record<string, string>;
  ordersBefore: number;
}

async function shadowLab(consolePolicy?: Record<string, number>): Promise<ShadowLab> {
  const lab = await createLab('shadow', 'Shadow lab');
  if (consolePolicy) await lab.put('', { displayName: 'Shadow lab', consolePolicy });
  await lab.putUser('erin', [CONSOLE]);
  await lab.putUser('frank', [CONSOLE]);
  await lab.putUser('audrey', [AUDIT]);
  const instanceUuid = randomUUID();
  await lab.putVm('vm-1', { instanceUuid });
  await lab.putVm('vm-2');
  const sessions: Record<string, string> = {};
  for (const user of ['erin', 'frank', 'audrey']) sessions[user] = await loginVcenter(`${user}@${lab.tenant}`, 'lab-user-pass');
  return { ...lab, instanceUuid, sessions, ordersBefore: orders.length };
}

/** Opens a console as the proxy does: a vim25 ticket, redeemed. @returns its registry session id. */
async function openConsole(lab: ShadowLab, user: string, moId = 'vm-1'): Promise<string> {
  const ticket = await api('POST', `/sdk/vim25/8.0.3.0/VirtualMachine/${moId}/AcquireTicket`, { headers: session(lab.sessions[user]!), body: { ticketType: 'webmks' } });
  expect(ticket.status, ticket.text).toBe(200);
  const redeemed = await redeem(ticket.body.ticket);
  expect(redeemed.status, redeemed.text).toBe(200);
  return redeemed.body.session.sessionId;
}

const redeem = (ticket: string) =>
  api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket, clientAddress: '198.51.100.9', proxyInstance: 'proxy-s' } });

const operatorShadow = (tenant: string, sessionId: string) =>
  api('POST', `/operator/v1/tenants/${tenant}/console-sessions/${sessionId}/shadows`, { headers: OPERATOR });

/** An operator's shadow of `sessionId`, redeemed. @returns the redemption's answer (the ConsoleTarget). */
async function openOperatorShadow(lab: ShadowLab, sessionId: string) {
  const issued = await operatorShadow(lab.tenant, sessionId);
  expect(issued.status, issued.text).toBe(201);
  const redeemed = await redeem(issued.body.ticket);
  expect(redeemed.status, redeemed.text).toBe(200);
  return redeemed.body;
}

/** The proxy's end report of a console it bridged (`target`: its redemption's answer). */
const endReport = (target: any, endReason = 'client closed') =>
  api('POST', '/console-proxy/v1/audit-records', {
    headers: CONSOLE_PROXY,
    body: {
      sessionId: target.session.sessionId, tenantId: target.tenantId, vmMoId: target.vmMoId, instanceUuid: target.instanceUuid,
      consoleType: target.consoleType, principal: target.issuedTo,
      ticketFingerprint: '0a1b2c3d', startedAt: target.issuedAt, endedAt: new Date().toISOString(), bytesToVm: 0, bytesFromVm: 10, endReason,
    },
  });

const heartbeat = (lab: ShadowLab, sessionIds: string[]) =>
  api('POST', '/console-proxy/v1/heartbeats', {
    headers: CONSOLE_PROXY,
    body: { sessions: sessionIds.map((sessionId) => ({ sessionId, tenantId: lab.tenant, vmMoId: 'vm-1', lastInputAt: new Date().toISOString() })) },
  });

const consolesOfVm = async (lab: ShadowLab, moId = 'vm-1') =>
  (await api('GET', `/operator/v1/tenants/${lab.tenant}/vms/${moId}/console-sessions`, { headers: OPERATOR })).body.consoleSessions;

const auditorShadow = (lab: ShadowLab, user: string, moId: string, sessionId: string, form: 'api' | 'rest' = 'api') =>
  api('POST', `/${form}/vcenter/vm/${moId}/console/sessions/${sessionId}?${form === 'api' ? 'action' : '~action'}=shadow`, { headers: session(lab.sessions[user]!) });

const auditorList = (lab: ShadowLab, user: string, moId: string, form: 'api' | 'rest' = 'api') =>
  api('GET', `/${form}/vcenter/vm/${moId}/console/sessions`, { headers: session(lab.sessions[user]!) });

const today = () => new Date().toISOString().slice(0, 10);

describe('the operator\'s shadow ticket', () => {
  it('is a one-time console ticket of the watched VM, redeemed as a shadow of the session, listed with it', async () => {
    const lab = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    const before = Date.now();
    const { result: issued, live, roundTrips } = await countRoundTrips(() => operatorShadow(lab.tenant, watched));
    expectAllowedByIam('operatorIssueShadowTicket', live.actions);
    // The console by id (tenant index), its VM; the VM's registry partition beside the tenant; the ticket and its pointer.
    expect(roundTrips).toBe(5);
    expect(issued.status).toBe(201);
    const { ticket } = issued.body;
    expect(issued.body).toEqual({
      ticket: expect.stringMatching(new RegExp(`^${lab.tenant}\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}$`)),
      url: `http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3D${ticket}`,
      expiresAt: iso,
    });
    // 30 minutes, as every console ticket.
    expect(Date.parse(issued.body.expiresAt) - before).toBeGreaterThan(1790_000);
    expect(Date.parse(issued.body.expiresAt) - Date.now()).toBeLessThanOrEqual(1800_000);

    const { result: redeemed, live: redemption, roundTrips: redemptionTrips } = await countRoundTrips(() => redeem(ticket));
    expectAllowedByIam('consoleProxyRedeemTicket', redemption.actions);
    // The ticket consumed beside the tenant's mark; the watched VM's partition; the shadow put beside the
    // watched console's mark; the proxies' connections read and the audit entry written.
    expect(redemptionTrips).toBe(7);
    expect({ status: redeemed.status, body: redeemed.body }).toEqual({
      status: 200,
      body: {
        tenantId: lab.tenant,
        vmMoId: 'vm-1',
        instanceUuid: lab.instanceUuid,
        consoleType: 'shadow',
        issuedTo: 'operator',
        issuedAt: iso,
        vnc: { host: '127.0.0.1', port: 5990 },
        session: { sessionId: uuid, idleTimeoutSeconds: 1200, maxDurationSeconds: 86400, heartbeatSeconds: 60 },
        shadowOf: { sessionId: watched, userName: `erin@${lab.tenant}` },
      },
    });
    const shadow = redeemed.body.session.sessionId;
    // One time only.
    expect((await redeem(ticket)).status).toBe(404);

    // The registry lists the shadow as an open console of its own, with the session it watches.
    const listed = await consolesOfVm(lab);
    expect(listed).toHaveLength(2);
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sessionId: watched, userName: `erin@${lab.tenant}`, consoleType: 'webmks' }),
        {
          sessionId: shadow, tenantId: lab.tenant, vmMoId: 'vm-1', instanceUuid: lab.instanceUuid, userName: 'operator', consoleType: 'shadow',
          clientAddress: '198.51.100.9', proxyInstance: 'proxy-s', ticketFingerprint: expect.stringMatching(/^[0-9a-f]{8}$/),
          startedAt: iso, lastInputAt: iso, shadowOf: { sessionId: watched, userName: `erin@${lab.tenant}` },
        },
      ]),
    );
    const since = listed.find((open: any) => open.sessionId === shadow).startedAt;

    // Every proxy is told who watches the session now.
    expect(ordersOf(lab)).toEqual([{ type: 'watchers', tenantId: lab.tenant, sessionId: watched, watchers: [{ userName: 'operator', since }] }]);
    // And the audit trail says so.
    expect(await listShadowAudits(lab.tenant, today())).toEqual([
      {
        tenantId: lab.tenant, event: 'shadow started', at: iso, watcher: 'operator', shadowSessionId: shadow, watchedSessionId: watched,
        watchedUser: `erin@${lab.tenant}`, vmMoId: 'vm-1', expiresAt: expect.any(Number),
      },
    ]);
  });

  it('is refused (404) for a session that is not open, a shadow, or another tenant\'s', async () => {
    const lab = await shadowLab();
    const other = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    const target = await openOperatorShadow(lab, watched);
    const unknown = randomUUID();
    for (const [tenant, sessionId] of [[lab.tenant, unknown], [lab.tenant, target.session.sessionId], [other.tenant, watched]] as const) {
      const refused = await operatorShadow(tenant, sessionId);
      expect({ status: refused.status, body: refused.body }).toEqual({ status: 404, body: notFound(`Console session ${sessionId} is not open.`) });
    }
    const malformed = await operatorShadow(lab.tenant, 'not-a-session');
    expect(malformed.status).toBe(400);
  });

  it('is refused at redemption (404, as any invalid ticket) once the watched session ended', async () => {
    const lab = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    const issued = await operatorShadow(lab.tenant, watched);
    expect((await api('DELETE', `/operator/v1/tenants/${lab.tenant}/console-sessions/${watched}`, { headers: OPERATOR })).status).toBe(204);
    const refused = await redeem(issued.body.ticket);
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 404, body: notFound('The console ticket is not valid.') });
    expect(await consolesOfVm(lab)).toEqual([]);
  });

  it('refuses a sixth shadow of a session with the limit error', async () => {
    const lab = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    for (let n = 0; n < 5; n += 1) await openOperatorShadow(lab, watched);
    const refused = await operatorShadow(lab.tenant, watched);
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 500,
      body: notFound(`Console session ${watched} already has 5 shadows; the limit is 5.`, 'unable_to_allocate_resource'),
    });
    // The watch order of the fifth names all five, oldest first.
    const last = ordersOf(lab).at(-1);
    expect(last.watchers.map((watcher: any) => watcher.userName)).toEqual(Array(5).fill('operator'));
    expect([...last.watchers].sort((a: any, b: any) => a.since.localeCompare(b.since))).toEqual(last.watchers);
  });
});

describe('shadows and the console limits', () => {
  it('count toward no VM, user or tenant limit', async () => {
    const lab = await shadowLab({ connectionLimitPerVm: 1, connectionLimitPerUser: 1, connectionLimitPerTenant: 2 });
    await lab.putUser('audrey', [AUDIT, CONSOLE]);
    lab.sessions.audrey = await loginVcenter(`audrey@${lab.tenant}`, 'lab-user-pass');
    const watched = await openConsole(lab, 'erin');
    await openOperatorShadow(lab, watched);
    const audreys = await auditorShadow(lab, 'audrey', 'vm-1', watched);
    expect(audreys.status, audreys.text).toBe(201);
    expect((await redeem(audreys.body.ticket)).status).toBe(200);
    // The VM has one open console (and two shadows): its limit of 1 is reached by erin's alone.
    const vim = await api('POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-1/AcquireTicket', { headers: session(lab.sessions.frank!), body: { ticketType: 'webmks' } });
    expect(vim.body).toMatchObject({ _typeName: 'MksConnectionLimitReached', faultstring: 'Virtual machine vm-1 already has 1 open consoles; its limit is 1.' });
    // audrey's own console opens beside her shadow (her cap is 1); the tenant's cap (2) counts erin's and hers.
    await openConsole(lab, 'audrey', 'vm-2');
    await lab.putVm('vm-3');
    const capped = await api('POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-3/AcquireTicket', { headers: session(lab.sessions.frank!), body: { ticketType: 'webmks' } });
    expect(capped.body).toMatchObject({ _typeName: 'MksConnectionLimitReached', faultstring: 'The organization already has 2 open consoles; its limit is 2.' });
  });
});

describe('watch orders and heartbeats', () => {
  it('push who watches on every open and end, and the heartbeat answers it for watched sessions', async () => {
    const lab = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    const plain = await openConsole(lab, 'frank');
    const first = await openOperatorShadow(lab, watched);
    const second = await openOperatorShadow(lab, watched);
    const listed = await consolesOfVm(lab);
    const since = (target: any) => listed.find((open: any) => open.sessionId === target.session.sessionId).startedAt;
    const both = [{ userName: 'operator', since: since(first) }, { userName: 'operator', since: since(second) }];
    expect(ordersOf(lab)).toEqual([
      { type: 'watchers', tenantId: lab.tenant, sessionId: watched, watchers: [both[0]] },
      { type: 'watchers', tenantId: lab.tenant, sessionId: watched, watchers: both },
    ]);

    // The heartbeat names the watchers of the watched session only (not of the plain one, nor of the shadows).
    const { result: beat, live } = await countRoundTrips(() => heartbeat(lab, [watched, plain, first.session.sessionId, second.session.sessionId]));
    expectAllowedByIam('consoleProxyHeartbeats', live.actions);
    expect({ status: beat.status, body: beat.body }).toEqual({ status: 200, body: { ended: [], watched: [{ sessionId: watched, watchers: both }] } });
    // What it costs (DynamoDB calls): an unwatched console its UpdateItem only; a watched one a Query of its VM's
    // registry partition more; a shadow a GetItem more (is its watched console still open?).
    const calls = (sessionIds: string[]) => countRoundTrips(() => heartbeat(lab, sessionIds));
    const [plainCost, watchedCost, shadowCost] = [await calls([plain]), await calls([watched]), await calls([first.session.sessionId])];
    expect([plainCost.roundTrips, watchedCost.roundTrips, shadowCost.roundTrips]).toEqual([1, 2, 2]);

    // The first shadow's end report: audited, and the watched page told who is left.
    const { result: ended, live: report } = await countRoundTrips(() => endReport(first));
    expectAllowedByIam('consoleProxyRecordSession', report.actions);
    expect(ended.status).toBe(204);
    expect(ordersOf(lab).at(-1)).toEqual({ type: 'watchers', tenantId: lab.tenant, sessionId: watched, watchers: [both[1]] });
    expect((await listShadowAudits(lab.tenant, today())).filter((entry) => entry.event === 'shadow ended')).toEqual([
      {
        tenantId: lab.tenant, event: 'shadow ended', at: iso, watcher: 'operator', shadowSessionId: first.session.sessionId, watchedSessionId: watched,
        watchedUser: `erin@${lab.tenant}`, vmMoId: 'vm-1', reason: 'client closed', expiresAt: expect.any(Number),
      },
    ]);
    // A retried report changes nothing.
    const pushed = ordersOf(lab).length;
    expect((await endReport(first)).status).toBe(204);
    expect(ordersOf(lab)).toHaveLength(pushed);

    // The last one ends: nobody watches. A heartbeat answers `[]` once (a missed order is corrected), then nothing.
    expect((await endReport(second)).status).toBe(204);
    expect(ordersOf(lab).at(-1)).toEqual({ type: 'watchers', tenantId: lab.tenant, sessionId: watched, watchers: [] });
    expect((await heartbeat(lab, [watched, plain])).body).toEqual({ ended: [], watched: [{ sessionId: watched, watchers: [] }] });
    expect((await heartbeat(lab, [watched, plain])).body).toEqual({ ended: [] });
  });
});

describe('consoles whose proxy stopped reporting them (three heartbeats, 180 s)', () => {
  it('a shadow leaves its watched session\'s watchers; a shadow of a forgotten session is ended; both audited', async () => {
    const lab = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    const shadow = (await openOperatorShadow(lab, watched)).session.sessionId;
    const other = await openConsole(lab, 'frank');
    const orphan = (await openOperatorShadow(lab, other)).session.sessionId;
    try {
      // 120 s on: erin's console and the orphan's shadow are reported, the others are not.
      advanceClock(120_000);
      expect((await heartbeat(lab, [watched, orphan])).body).toEqual({
        ended: [],
        watched: [{ sessionId: watched, watchers: [{ userName: 'operator', since: iso }] }],
      });
      // 240 s on: erin's shadow and frank's console are forgotten.
      advanceClock(120_000);
      const beat = await heartbeat(lab, [watched, orphan]);
      expect(beat.body).toEqual({ ended: [orphan], watched: [{ sessionId: watched, watchers: [] }] });
      expect((await heartbeat(lab, [watched])).body).toEqual({ ended: [] });
      const day = new Date(Date.now() + 240_000).toISOString().slice(0, 10);
      const ended = (await listShadowAudits(lab.tenant, day)).filter((entry) => entry.event === 'shadow ended');
      expect(ended.map((entry) => [entry.shadowSessionId, entry.watchedSessionId, entry.reason]).sort()).toEqual(
        [
          [shadow, watched, 'Its console proxy stopped reporting it.'],
          [orphan, other, WATCHED_ENDED],
        ].sort(),
      );
    } finally {
      resetClock();
    }
  });
});

describe('ending a watched session', () => {
  it('ends its shadows: an order naming them, out of the registry, audited', async () => {
    const lab = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    const shadows = [await openOperatorShadow(lab, watched), await openOperatorShadow(lab, watched)];
    const shadowIds = shadows.map((target) => target.session.sessionId);
    const pushed = ordersOf(lab).length;

    expect((await api('DELETE', `/operator/v1/tenants/${lab.tenant}/console-sessions/${watched}`, { headers: OPERATOR })).status).toBe(204);
    expect(ordersOf(lab).slice(pushed)).toEqual([
      { type: 'end', tenantId: lab.tenant, sessionIds: [watched], reason: ADMINISTRATOR },
      { type: 'end', tenantId: lab.tenant, sessionIds: expect.arrayContaining(shadowIds), reason: WATCHED_ENDED },
    ]);
    expect(ordersOf(lab).at(-1).sessionIds).toHaveLength(2);
    expect(await consolesOfVm(lab)).toEqual([]);
    const ended = (await listShadowAudits(lab.tenant, today())).filter((entry) => entry.event === 'shadow ended');
    expect(ended.map((entry) => [entry.shadowSessionId, entry.reason]).sort()).toEqual(shadowIds.map((id) => [id, WATCHED_ENDED]).sort());
    // Their proxy's heartbeat learns it too; their end reports change nothing more.
    expect((await heartbeat(lab, shadowIds)).body).toEqual({ ended: shadowIds });
    for (const target of shadows) expect((await endReport(target)).status).toBe(204);
    expect(ordersOf(lab).slice(pushed)).toHaveLength(2);
  });

  it('ends its shadows when its end report comes, and when its user is revoked', async () => {
    const lab = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    const shadow = await openOperatorShadow(lab, watched);
    const redeemed = { tenantId: lab.tenant, vmMoId: 'vm-1', instanceUuid: lab.instanceUuid, consoleType: 'webmks', issuedTo: `erin@${lab.tenant}`, issuedAt: new Date().toISOString(), session: { sessionId: watched } };
    const pushed = ordersOf(lab).length;
    expect((await endReport(redeemed)).status).toBe(204);
    expect(ordersOf(lab).slice(pushed)).toEqual([{ type: 'end', tenantId: lab.tenant, sessionIds: [shadow.session.sessionId], reason: WATCHED_ENDED }]);
    expect(await consolesOfVm(lab)).toEqual([]);

    // Revoking frank (his password changed) ends his console and the shadow of it, which is not his.
    const franks = await openConsole(lab, 'frank');
    const franksShadow = await openOperatorShadow(lab, franks);
    const before = ordersOf(lab).length;
    await lab.putUser('frank', [CONSOLE], 'another-pass');
    await eventually(() => ordersOf(lab).length >= before + 2, 'both end orders');
    expect(ordersOf(lab).slice(before)).toEqual([
      { type: 'end', tenantId: lab.tenant, userName: `frank@${lab.tenant}`, reason: 'Your access to this console was revoked.' },
      { type: 'end', tenantId: lab.tenant, sessionIds: [franksShadow.session.sessionId], reason: WATCHED_ENDED },
    ]);
    expect(await consolesOfVm(lab)).toEqual([]);
  });
});

describe('tenant auditors (vCenter)', () => {
  it('list a VM\'s open consoles with their shadows, and get a shadow ticket, in both forms', async () => {
    const lab = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    const operators = await openOperatorShadow(lab, watched);

    const { result: issued, live, roundTrips } = await countRoundTrips(() => auditorShadow(lab, 'audrey', 'vm-1', watched));
    expectAllowedByIam('vcenterShadowConsoleSession', live.actions);
    // Session, tenant and VM in one BatchGetItem; the VM's registry partition; the ticket and its pointer.
    expect(roundTrips).toBe(3);
    expect(issued.status).toBe(201);
    expect(issued.body).toEqual({ ticket: expect.stringMatching(new RegExp(`^${lab.tenant}\\.`)), url: `http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3D${issued.body.ticket}`, expires_at: iso });
    const rest = await auditorShadow(lab, 'audrey', 'vm-1', watched, 'rest');
    expect({ status: rest.status, body: rest.body }).toEqual({
      status: 200,
      body: { value: { ticket: expect.any(String), url: `http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3D${rest.body.value.ticket}`, expires_at: iso } },
    });

    const redeemed = await redeem(issued.body.ticket);
    expect(redeemed.status).toBe(200);
    expect(redeemed.body).toMatchObject({ issuedTo: `audrey@${lab.tenant}`, consoleType: 'shadow', shadowOf: { sessionId: watched, userName: `erin@${lab.tenant}` } });
    expect(redeemed.body.recording).toBeUndefined();
    const audreys = redeemed.body.session.sessionId;

    const { result: listed, live: listing } = await countRoundTrips(() => auditorList(lab, 'audrey', 'vm-1'));
    expectAllowedByIam('vcenterListConsoleSessions', listing.actions);
    expect(listed.status).toBe(200);
    const started = Object.fromEntries((await consolesOfVm(lab)).map((open: any) => [open.sessionId, open]));
    const expected = [
      { session: watched, user: `erin@${lab.tenant}`, console_type: 'webmks', client_address: '198.51.100.9', started_at: started[watched].startedAt, last_input_at: started[watched].lastInputAt },
      ...[[operators.session.sessionId, 'operator'], [audreys, `audrey@${lab.tenant}`]].map(([id, user]) => ({
        session: id, user, console_type: 'shadow', client_address: '198.51.100.9', started_at: started[id!].startedAt, last_input_at: started[id!].lastInputAt,
        shadow_of: { session: watched, user: `erin@${lab.tenant}` },
      })),
    ];
    expect(listed.body).toHaveLength(3);
    expect(listed.body).toEqual(expect.arrayContaining(expected));
    const restListed = await auditorList(lab, 'audrey', 'vm-1', 'rest');
    expect(restListed.status).toBe(200);
    expect(restListed.body).toEqual({ value: listed.body });

    // vim25's QueryConnections shows every connection to the screen, shadows too, each with its watcher.
    await lab.putUser('frank', [CONSOLE]);
    const connections = await api('POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-1/QueryConnections', { headers: session(await loginVcenter(`frank@${lab.tenant}`, 'lab-user-pass')) });
    expect(connections.body).toHaveLength(3);
    expect(connections.body).toEqual(
      expect.arrayContaining([
        { _typeName: 'VirtualMachineMksConnection', label: operators.session.sessionId, client: '198.51.100.9', userName: 'operator' },
        { _typeName: 'VirtualMachineMksConnection', label: audreys, client: '198.51.100.9', userName: `audrey@${lab.tenant}` },
      ]),
    );
  });

  it('need VirtualMachine.Interact.ConsoleAudit (403 in the vCenter shape)', async () => {
    const lab = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    const message = 'Permission to perform this operation was denied: VirtualMachine.Interact.ConsoleAudit is required on vm-1.';
    const denied = { error_type: 'UNAUTHORIZED', messages: [{ args: [], default_message: message, id: 'com.vmware.vapi.std.errors.unauthorized' }] };
    for (const response of [await auditorShadow(lab, 'frank', 'vm-1', watched), await auditorList(lab, 'frank', 'vm-1')]) {
      expect({ status: response.status, body: response.body }).toEqual({ status: 403, body: denied });
    }
    const rest = await auditorShadow(lab, 'frank', 'vm-1', watched, 'rest');
    expect({ status: rest.status, body: rest.body }).toEqual({
      status: 403,
      body: { type: 'com.vmware.vapi.std.errors.unauthorized', value: { messages: denied.messages } },
    });
    // The action is required.
    const noAction = await api('POST', `/api/vcenter/vm/vm-1/console/sessions/${watched}`, { headers: session(lab.sessions.audrey!) });
    expect(noAction.status).toBe(400);
    expect(noAction.body.error_type).toBe('INVALID_ARGUMENT');
  });

  it("cannot reach another tenant's VM or session", async () => {
    const lab = await shadowLab();
    const other = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    await lab.putVm('vm-only-here');
    // The other tenant's auditor: its own vm-1 has no such session; this tenant's VM is not found.
    const session404 = await auditorShadow(other, 'audrey', 'vm-1', watched);
    expect({ status: session404.status, body: session404.body }).toEqual({ status: 404, body: notFound(`Console session ${watched} is not open.`) });
    const vm404 = await auditorShadow(other, 'audrey', 'vm-only-here', watched);
    expect({ status: vm404.status, body: vm404.body }).toEqual({ status: 404, body: notFound('Virtual machine vm-only-here was not found.') });
    expect((await auditorList(other, 'audrey', 'vm-only-here')).status).toBe(404);
    expect((await auditorList(other, 'audrey', 'vm-1')).body).toEqual([]);
    // Nor a session of another VM of its own tenant, through this VM.
    const elsewhere = await auditorShadow(lab, 'audrey', 'vm-2', watched);
    expect(elsewhere.status).toBe(404);
  });
});

describe('ending a shadow alone', () => {
  it('is an ordinary end of it; the watched session\'s proxy gets the new watchers', async () => {
    const lab = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    const shadow = (await openOperatorShadow(lab, watched)).session.sessionId;
    const pushed = ordersOf(lab).length;
    expect((await api('DELETE', `/operator/v1/tenants/${lab.tenant}/console-sessions/${shadow}`, { headers: OPERATOR })).status).toBe(204);
    expect(ordersOf(lab).slice(pushed)).toEqual([
      { type: 'end', tenantId: lab.tenant, sessionIds: [shadow], reason: ADMINISTRATOR },
      { type: 'watchers', tenantId: lab.tenant, sessionId: watched, watchers: [] },
    ]);
    const ended = (await listShadowAudits(lab.tenant, today())).filter((entry) => entry.event === 'shadow ended');
    expect(ended.map((entry) => [entry.shadowSessionId, entry.reason])).toEqual([[shadow, ADMINISTRATOR]]);
    expect((await consolesOfVm(lab)).map((open: any) => open.sessionId)).toEqual([watched]);
  });
});

describe('deleting the watched VM', () => {
  it('ends its consoles and their shadows with one order (they are on the VM), audited', async () => {
    const lab = await shadowLab();
    const watched = await openConsole(lab, 'erin');
    const shadow = (await openOperatorShadow(lab, watched)).session.sessionId;
    const pushed = ordersOf(lab).length;
    expect((await api('DELETE', `/operator/v1/tenants/${lab.tenant}/vms/vm-1`, { headers: OPERATOR })).status).toBe(204);
    expect(ordersOf(lab).slice(pushed)).toEqual([{ type: 'end', tenantId: lab.tenant, vmMoId: 'vm-1', reason: 'The virtual machine was deleted.' }]);
    const ended = (await listShadowAudits(lab.tenant, today())).filter((entry) => entry.event === 'shadow ended');
    expect(ended.map((entry) => [entry.shadowSessionId, entry.reason])).toEqual([[shadow, 'The virtual machine was deleted.']]);
    expect((await heartbeat(lab, [watched, shadow])).body).toEqual({ ended: [watched, shadow] });
  });
});
