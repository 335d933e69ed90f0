/**
 * Console recording, the API's side (issue 27; docs/recording.md): the policy (tenant, VM override), the
 * recording grant at redemption and its manifest, the end report, one-time playback links and their
 * redemption by the proxy, listings — through the handlers with real API Gateway events against dynalite.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { drain } from '../../functions/operator/tenantDrain.js';
import { advanceClock, resetClock } from '../../lib/core/clock.js';
import { listAuditEvents } from '../../lib/core/audit.js';
import { ConsoleTargetSchema, PlaybackGrantSchema } from '../../lib/protocol/console-proxy.js';
import { api, CONSOLE_PROXY, loginVcenter, OPERATOR, session, type ApiResponse } from '../support/api.js';
import { expectAllowedByIam } from '../support/iam.js';
import { createLab, type Lab } from '../support/lab.js';
import { countRoundTrips } from '../support/store-instrumentation.js';
import { scanTable } from '../support/table.js';
import { sessionReport } from '../support/session-report.js';

afterEach(() => resetClock());

const CONSOLE = 'VirtualMachine.Interact.ConsoleInteract';
const AUDIT = 'VirtualMachine.Interact.ConsoleAudit';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const invalidArgument = (message: string) => ({
  error_type: 'INVALID_ARGUMENT',
  messages: [{ args: [], default_message: message, id: 'com.vmware.vapi.std.errors.invalid_argument' }],
});
const notFound = (message: string) => ({
  error_type: 'NOT_FOUND',
  messages: [{ args: [], default_message: message, id: 'com.vmware.vapi.std.errors.not_found' }],
});

const ticketIn = (uri: string): string => /\/ticket\/([^/]+)$/.exec(uri)![1]!;

let lab: Lab;
const sessions: Record<string, string> = {};

/** A WEBMKS ticket for `moId` issued to `user` through `POST /api/vcenter/vm/{vm}/console/tickets`. */
const issue = (user: string, moId: string) =>
  api('POST', `/api/vcenter/vm/${moId}/console/tickets`, { headers: session(sessions[user]!), body: { type: 'WEBMKS' } });
const redeem = (ticket: string, from: Record<string, string> = {}) =>
  api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket, ...from } });
const playback = (token: string) => api('POST', '/console-proxy/v1/playbacks', { headers: CONSOLE_PROXY, body: { token } });
const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

/** Opens a console of `user` on `moId` (ticket issued and redeemed): the redemption's answer. */
async function open(user: string, moId: string, from: Record<string, string> = {}): Promise<ApiResponse> {
  const issued = await issue(user, moId);
  expect(issued.status).toBe(201);
  const redeemed = await redeem(ticketIn(issued.body.ticket), from);
  expect(redeemed.status).toBe(200);
  return redeemed;
}

const report = (target: any, overrides: Record<string, unknown> = {}) => sessionReport(target, overrides);
const endReport = (body: unknown) => api('POST', '/console-proxy/v1/audit-records', { headers: CONSOLE_PROXY, body });

beforeAll(async () => {
  lab = await createLab('rec', 'Recorded');
  await lab.putUser('alice', [CONSOLE]);
  await lab.putUser('bob', [CONSOLE]);
  await lab.putUser('audrey', [AUDIT]);
  for (const moId of ['vm-1', 'vm-2', 'vm-3']) await lab.putVm(moId);
  for (const user of ['alice', 'bob', 'audrey']) sessions[user] = await loginVcenter(`${user}@${lab.tenant}`, 'lab-user-pass');
});

describe('the recording policy (PUT /operator/v1/tenants/{tenant})', () => {
  it('is stored as the operator set it, and read back', async () => {
    const put = await api('PUT', `/operator/v1/tenants/${lab.tenant}`, {
      headers: OPERATOR,
      body: { displayName: 'Recorded', recordingPolicy: { record: true, retentionDays: 30 } },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ tenantId: lab.tenant, displayName: 'Recorded', recordingPolicy: { record: true, retentionDays: 30 }, createdAt: expect.stringMatching(ISO) });
    expect((await api('GET', `/operator/v1/tenants/${lab.tenant}`, { headers: OPERATOR })).body).toEqual(put.body);
  });

  it.each([
    [{ record: true, retentionDays: 45 }, 'recordingPolicy.retentionDays', 'expected one of the retention classes 7, 30, 90, 180, 365, 730, 1095, 1825, 2555, 3650 (the recording bucket\'s lifecycle rules expire recordings by their retention-days tag, one rule per class)'],
    [{ retentionDays: 30 }, 'recordingPolicy.record', 'Required'],
    [{ record: 'yes' }, 'recordingPolicy.record', 'Expected boolean, received string'],
    [{ record: true, recordKeys: true }, 'recordingPolicy', "Unrecognized key(s) in object: 'recordKeys'"],
    [{ record: true, mandatory: 1 }, 'recordingPolicy.mandatory', 'Expected boolean, received number'],
  ])('refuses %j with the operator API\'s 400', async (recordingPolicy, field, message) => {
    const response = await api('PUT', `/operator/v1/tenants/${lab.tenant}`, { headers: OPERATOR, body: { displayName: 'Recorded', recordingPolicy } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(invalidArgument(`Invalid value for ${field}: ${message}.`));
  });

  it('a VM\'s spec may override fields; bad values are refused the same way', async () => {
    const bad = await api('PUT', `/operator/v1/tenants/${lab.tenant}/vms/vm-9`, { headers: OPERATOR, body: { ...(await vmSpecOf('vm-1')), recordingPolicy: { retentionDays: 10 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.messages[0].default_message).toMatch(/^Invalid value for recordingPolicy\.retentionDays: expected one of the retention classes 7, 30, 90/);
  });
});

/** The spec of a lab VM as the operator API reads it back (without its record fields). */
async function vmSpecOf(moId: string) {
  const { tenantId: _t, moId: _m, createdAt: _c, updatedAt: _u, ...spec } = (await api('GET', `/operator/v1/tenants/${lab.tenant}/vms/${moId}`, { headers: OPERATOR })).body;
  return spec;
}

const setPolicy = (recordingPolicy?: Record<string, unknown>) =>
  lab.put('', { displayName: 'Recorded', ...(recordingPolicy ? { recordingPolicy } : {}) });
const setVmPolicy = async (moId: string, recordingPolicy?: Record<string, unknown>) => {
  const { recordingPolicy: _old, ...spec } = await vmSpecOf(moId);
  await lab.put(`/vms/${moId}`, { ...spec, ...(recordingPolicy ? { recordingPolicy } : {}) });
};

describe('redemption of a recorded console', () => {
  let unrecordedUnits = 0;
  it('answers no grant, and costs nothing more, when the policy does not record', async () => {
    await setPolicy(undefined);
    const issued = await countRoundTrips(() => issue('alice', 'vm-1'));
    expect(issued.result.status).toBe(201);
    const redeemed = await countRoundTrips(() => redeem(ticketIn(issued.result.body.ticket)), { capacity: true });
    unrecordedUnits = redeemed.capacityUnits;
    expect(redeemed.result.status).toBe(200);
    expect(redeemed.result.body.recording).toBeUndefined();
    // Issue: session + VM + tenant (BatchGetItem), the VM's open consoles counted (Query), ticket + pointer (BatchWriteItem).
    expect(issued.roundTrips).toBe(3);
    // Redemption: the ticket's DeleteItem beside the tenant's GetItem, then the registry's PutItem.
    expect(redeemed.roundTrips).toBe(3);
    expect([...redeemed.live.actions].sort()).toEqual(['DeleteItem', 'GetItem', 'PutItem']);
  });

  it('answers the exact grant, writes the manifest with the registry item in one round trip, and audits the start', async () => {
    await setPolicy({ record: true, retentionDays: 30, recordInput: true });
    const issued = await countRoundTrips(() => issue('alice', 'vm-1'));
    const redeemed = await countRoundTrips(() => redeem(ticketIn(issued.result.body.ticket), { clientAddress: '198.51.100.7', proxyInstance: 'proxy-a' }), {
      capacity: true,
    });
    const target = redeemed.result.body;
    const recordingId = target.recording.recordingId;
    expect(recordingId).toMatch(UUID);
    expect(target.recording).toEqual({ recordingId, keyPrefix: `recordings/${lab.tenant}/vm-1/${recordingId}/`, input: true, mandatory: false, retentionDays: 30 });
    expect(ConsoleTargetSchema.parse(target)).toEqual(target);
    // The policy travels in the ticket: issue costs what it cost without recording (no round trip more).
    expect(issued.roundTrips).toBe(3);
    // The registry item, the manifest and the audit entry: one BatchWriteItem instead of the PutItem.
    expect(redeemed.roundTrips).toBe(3);
    expect([...redeemed.live.actions].sort()).toEqual(['BatchWriteItem', 'DeleteItem', 'GetItem']);
    expectAllowedByIam('consoleProxyRedeemTicket', redeemed.live.actions);
    // What recording costs at redemption: two more table writes (the manifest, the audit entry), as dynalite
    // counts them; DynamoDB also charges the manifest's two index entries (docs/recording.md).
    expect(redeemed.capacityUnits - unrecordedUnits).toBe(2);
    expectAllowedByIam('vcenterCreateConsoleTicket', issued.live.actions);

    const listed = await api('GET', `/operator/v1/tenants/${lab.tenant}/recordings?vm=vm-1`, { headers: OPERATOR });
    expect(listed.body.recordings[0]).toEqual({
      recordingId,
      tenantId: lab.tenant,
      vmMoId: 'vm-1',
      instanceUuid: target.instanceUuid,
      userName: `alice@${lab.tenant}`,
      sessionId: target.session.sessionId,
      consoleType: 'WEBMKS',
      clientAddress: '198.51.100.7',
      proxyInstance: 'proxy-a',
      input: true,
      state: 'recording',
      startedAt: expect.stringMatching(ISO),
      expiresAt: new Date(Date.parse(listed.body.recordings[0].startedAt) - (Date.parse(listed.body.recordings[0].startedAt) % 1000) + 30 * 86_400_000).toISOString(),
    });
    const events = await listAuditEvents(lab.tenant, listed.body.recordings[0].startedAt.slice(0, 10));
    expect(events.filter((event) => 'recordingId' in event && event.recordingId === recordingId)).toEqual([
      {
        tenantId: lab.tenant,
        event: 'recording started',
        at: listed.body.recordings[0].startedAt,
        recordingId,
        vmMoId: 'vm-1',
        userName: `alice@${lab.tenant}`,
        sessionId: target.session.sessionId,
        expiresAt: expect.any(Number),
      },
    ]);
  });

  it('records a console whichever dialect issued its ticket (vim25 AcquireTicket here)', async () => {
    await setPolicy({ record: true, mandatory: true });
    const sdk = '/sdk/vim25/8.0.3.0';
    const login = await api('POST', `${sdk}/SessionManager/SessionManager/Login`, { body: { userName: `bob@${lab.tenant}`, password: 'lab-user-pass' } });
    expect(login.status).toBe(200);
    const acquired = await api('POST', `${sdk}/VirtualMachine/vm-1/AcquireTicket`, {
      headers: { 'vmware-api-session-id': login.headers['vmware-api-session-id']! },
      body: { ticketType: 'webmks' },
    });
    expect(acquired.status).toBe(200);
    const redeemed = await redeem(acquired.body.ticket);
    expect(redeemed.body.recording).toEqual({
      recordingId: expect.stringMatching(UUID),
      keyPrefix: `recordings/${lab.tenant}/vm-1/${redeemed.body.recording.recordingId}/`,
      input: false,
      mandatory: true,
      retentionDays: 90,
    });
  });

  it('takes the VM\'s fields over the tenant\'s: a VM may record where the tenant does not, and the reverse', async () => {
    await setPolicy({ record: true, mandatory: true });
    await setVmPolicy('vm-2', { record: false });
    await setVmPolicy('vm-3', { retentionDays: 365, recordInput: true });
    expect((await open('bob', 'vm-2')).body.recording).toBeUndefined();
    expect((await open('bob', 'vm-3')).body.recording).toEqual(expect.objectContaining({ input: true, mandatory: true, retentionDays: 365 }));
    // Defaults: the screen only, optional, 90 days.
    await setPolicy(undefined);
    await setVmPolicy('vm-2', { record: true });
    expect((await open('bob', 'vm-2')).body.recording).toEqual(expect.objectContaining({ input: false, mandatory: false, retentionDays: 90 }));
    await setVmPolicy('vm-2', undefined);
    await setVmPolicy('vm-3', undefined);
  });
});

describe('the end report of a recorded console (POST /console-proxy/v1/audit-records)', () => {
  it('completes the manifest, idempotently, and audits the stop with its state', async () => {
    await setPolicy({ record: true });
    const target = (await open('alice', 'vm-1')).body;
    const { recordingId } = target.recording;
    const body = report(target, { recording: { recordingId, state: 'incomplete', reason: 'storage unavailable', chunks: 3, bytes: 4096 } });
    const first = await countRoundTrips(() => endReport(body));
    expect(first.result.status).toBe(204);
    expectAllowedByIam('consoleProxyRecordSession', first.live.actions);
    expect((await endReport(body)).status).toBe(204);

    const listed = await api('GET', `/operator/v1/tenants/${lab.tenant}/recordings?vm=vm-1&limit=1`, { headers: OPERATOR });
    expect(listed.body.recordings).toEqual([
      expect.objectContaining({ recordingId, state: 'incomplete', reason: 'storage unavailable', endedAt: body.endedAt, chunks: 3, bytes: 4096 }),
    ]);
    const stopped = (await listAuditEvents(lab.tenant, body.endedAt.slice(0, 10))).filter((event) => 'recordingId' in event && event.recordingId === recordingId && event.event === 'recording stopped');
    expect(stopped).toEqual([
      {
        tenantId: lab.tenant,
        event: 'recording stopped',
        at: body.endedAt,
        recordingId,
        vmMoId: 'vm-1',
        userName: `alice@${lab.tenant}`,
        sessionId: target.session.sessionId,
        state: 'incomplete',
        reason: 'storage unavailable',
        expiresAt: expect.any(Number),
      },
    ]);
  });

  it('does not touch the manifest of another session', async () => {
    await setPolicy({ record: true });
    const recorded = (await open('alice', 'vm-1')).body;
    const other = (await open('bob', 'vm-1')).body;
    const forged = report(other, { recording: { recordingId: recorded.recording.recordingId, state: 'recorded', chunks: 1, bytes: 1 } });
    expect((await endReport(forged)).status).toBe(204);
    const listed = await api('GET', `/operator/v1/tenants/${lab.tenant}/recordings?user=alice@${lab.tenant}&limit=1`, { headers: OPERATOR });
    expect(listed.body.recordings[0]).toEqual(expect.objectContaining({ recordingId: recorded.recording.recordingId, state: 'recording' }));
  });
});

describe('playback links', () => {
  let target: any;
  beforeAll(async () => {
    await setPolicy({ record: true, retentionDays: 7 });
    target = (await open('alice', 'vm-2')).body;
    await endReport(report(target, { recording: { recordingId: target.recording.recordingId, state: 'recorded', chunks: 2, bytes: 1234 } }));
  });

  it('the operator gets a one-time link; the proxy trades its token once for the exact grant; "recording played" is audited', async () => {
    const { recordingId, keyPrefix } = target.recording;
    const link = await countRoundTrips(() => api('POST', `/operator/v1/tenants/${lab.tenant}/recordings/${recordingId}/playbacks`, { headers: OPERATOR }));
    expect(link.result.status).toBe(201);
    expect(link.result.body).toEqual({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:6080\/playback\.html\?token=[a-z0-9-]+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.stringMatching(ISO),
    });
    expect(Date.parse(link.result.body.expiresAt) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(Date.parse(link.result.body.expiresAt) - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    expectAllowedByIam('operatorCreatePlayback', link.live.actions);
    // The recording by id (a Query of its gsi2 entry), the token's PutItem.
    expect(link.roundTrips).toBe(2);

    const token = tokenOf(link.result.body.url);
    const played = await countRoundTrips(() => playback(token));
    expect(played.result.status).toBe(200);
    expect(played.result.body).toEqual({
      manifest: {
        recordingId,
        tenantId: lab.tenant,
        vmMoId: 'vm-2',
        instanceUuid: target.instanceUuid,
        userName: `alice@${lab.tenant}`,
        sessionId: target.session.sessionId,
        consoleType: 'WEBMKS',
        input: false,
        state: 'recorded',
        startedAt: expect.stringMatching(ISO),
        endedAt: expect.stringMatching(ISO),
        chunks: 2,
        bytes: 1234,
        expiresAt: expect.stringMatching(ISO),
      },
      keyPrefix,
      viewer: 'operator',
    });
    expect(PlaybackGrantSchema.parse(played.result.body)).toEqual(played.result.body);
    expectAllowedByIam('consoleProxyRedeemPlayback', played.live.actions);
    // The token's DeleteItem beside the tenant's GetItem, the manifest's GetItem, the audit entry's PutItem.
    expect(played.roundTrips).toBe(4);
    expect([...played.live.actions].sort()).toEqual(['DeleteItem', 'GetItem', 'PutItem']);

    const again = await playback(token);
    expect(again.status).toBe(404);
    expect(again.body).toEqual(notFound('The playback token is not valid.'));

    const today = new Date().toISOString().slice(0, 10);
    const playedEvents = (await listAuditEvents(lab.tenant, today)).filter((event) => 'recordingId' in event && event.recordingId === recordingId && event.event === 'recording played');
    expect(playedEvents).toEqual([expect.objectContaining({ viewer: 'operator', tokenFingerprint: expect.stringMatching(/^[0-9a-f]{8}$/), userName: `alice@${lab.tenant}` })]);
  });

  it.each([
    ['an unknown token', () => `${lab.tenant}.${'x'.repeat(16)}.${'x'.repeat(43)}`],
    ['a malformed token', () => 'hello'],
    ['a token with a forged tenant', () => `acme.${'y'.repeat(16)}.${'y'.repeat(43)}`],
  ])('refuses %s with the same 404', async (_case, token) => {
    const response = await playback(token());
    expect(response.status).toBe(404);
    expect(response.body).toEqual(notFound('The playback token is not valid.'));
  });

  it('refuses an expired token, and a token whose recording expired', async () => {
    const { recordingId } = target.recording;
    const link = await api('POST', `/operator/v1/tenants/${lab.tenant}/recordings/${recordingId}/playbacks`, { headers: OPERATOR });
    advanceClock(30 * 60_000 + 1000);
    expect((await playback(tokenOf(link.body.url))).status).toBe(404);
    resetClock();
    // A recording whose 7-day retention ends 10 minutes from now (opened 7 days less 10 minutes ago).
    advanceClock(-(7 * 86_400_000 - 10 * 60_000));
    const old = (await open('alice', 'vm-2')).body;
    resetClock();
    const fresh = await api('POST', `/operator/v1/tenants/${lab.tenant}/recordings/${old.recording.recordingId}/playbacks`, { headers: OPERATOR });
    expect(fresh.status).toBe(201);
    // Its retention passes while the token is still valid: refused, and neither listed nor linkable any more.
    advanceClock(11 * 60_000);
    const refused = await playback(tokenOf(fresh.body.url));
    expect(refused.status).toBe(404);
    expect(refused.body).toEqual(notFound('The playback token is not valid.'));
    const relinked = await api('POST', `/operator/v1/tenants/${lab.tenant}/recordings/${old.recording.recordingId}/playbacks`, { headers: OPERATOR });
    expect(relinked.status).toBe(404);
    expect(relinked.body).toEqual(notFound(`Recording ${old.recording.recordingId} was not found.`));
    const listed = await api('GET', `/operator/v1/tenants/${lab.tenant}/recordings?vm=vm-2`, { headers: OPERATOR });
    const ids = listed.body.recordings.map((recording: { recordingId: string }) => recording.recordingId);
    expect(ids).not.toContain(old.recording.recordingId);
    expect(ids).toContain(recordingId);
  });

  it('answers 404 for another tenant\'s recording, and for an unknown one', async () => {
    const other = await createLab('rec-other', 'Other');
    const { recordingId } = target.recording;
    const foreign = await api('POST', `/operator/v1/tenants/${other.tenant}/recordings/${recordingId}/playbacks`, { headers: OPERATOR });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(notFound(`Recording ${recordingId} was not found.`));
    const unknown = '01890a5d-ac96-774b-bcce-b302099a8057';
    expect((await api('POST', `/operator/v1/tenants/${lab.tenant}/recordings/${unknown}/playbacks`, { headers: OPERATOR })).status).toBe(404);
  });
});

describe('listings', () => {
  let tenant: Lab;
  const ids: Record<string, string[]> = { 'vm-1': [], 'vm-2': [] };
  const byUser: Record<string, string[]> = { carl: [], dora: [] };
  const local: Record<string, string> = {};
  const openIn = async (user: string, moId: string) => {
    const issued = await api('POST', `/api/vcenter/vm/${moId}/console/tickets`, { headers: session(local[user]!), body: { type: 'WEBMKS' } });
    expect(issued.status).toBe(201);
    const redeemed = await redeem(ticketIn(issued.body.ticket), { clientAddress: '203.0.113.5' });
    expect(redeemed.status).toBe(200);
    return redeemed.body;
  };

  beforeAll(async () => {
    tenant = await createLab('rec-list', 'Listed');
    await tenant.put('', { displayName: 'Listed', recordingPolicy: { record: true } });
    await tenant.putUser('carl', [CONSOLE]);
    await tenant.putUser('dora', [CONSOLE]);
    await tenant.putUser('ivy', [AUDIT]);
    await tenant.putUser('nick', [CONSOLE]);
    for (const moId of ['vm-1', 'vm-2']) await tenant.putVm(moId);
    for (const user of ['carl', 'dora', 'ivy', 'nick']) local[user] = await loginVcenter(`${user}@${tenant.tenant}`, 'lab-user-pass');
    // Oldest first: carl vm-1, dora vm-1, carl vm-2, dora vm-1, carl vm-1.
    for (const [user, moId] of [['carl', 'vm-1'], ['dora', 'vm-1'], ['carl', 'vm-2'], ['dora', 'vm-1'], ['carl', 'vm-1']] as const) {
      const target = await openIn(user, moId);
      ids[moId]!.unshift(target.recording.recordingId);
      byUser[user]!.unshift(target.recording.recordingId);
      // Distinct milliseconds, so the time-ordered ids order as the consoles were opened.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  });

  const operatorList = (query: string) => api('GET', `/operator/v1/tenants/${tenant.tenant}/recordings?${query}`, { headers: OPERATOR });

  it('the operator lists a VM\'s and a user\'s recordings, newest first, page by page', async () => {
    const first = await countRoundTrips(() => operatorList('vm=vm-1&limit=2'));
    expect(first.result.status).toBe(200);
    expect(first.result.body).toEqual({
      recordings: [
        expect.objectContaining({ recordingId: ids['vm-1']![0], userName: `carl@${tenant.tenant}`, vmMoId: 'vm-1', state: 'recording', clientAddress: '203.0.113.5' }),
        expect.objectContaining({ recordingId: ids['vm-1']![1], userName: `dora@${tenant.tenant}`, vmMoId: 'vm-1' }),
      ],
      next: Buffer.from(ids['vm-1']![1]!).toString('base64url'),
    });
    expect(first.roundTrips).toBe(1);
    expectAllowedByIam('operatorListRecordings', first.live.actions);
    const second = await operatorList(`vm=vm-1&limit=2&next=${first.result.body.next}`);
    expect(second.body.recordings.map((r: { recordingId: string }) => r.recordingId)).toEqual(ids['vm-1']!.slice(2));
    expect(second.body.next).toBeUndefined();

    const user = await countRoundTrips(() => operatorList(`user=carl@${tenant.tenant}`));
    expect(user.result.body.recordings.map((r: { recordingId: string; vmMoId: string }) => [r.recordingId, r.vmMoId])).toEqual([
      [byUser.carl![0], 'vm-1'],
      [byUser.carl![1], 'vm-2'],
      [byUser.carl![2], 'vm-1'],
    ]);
    expectAllowedByIam('operatorListRecordings', user.live.actions);
    expect((await operatorList(`user=nick@${tenant.tenant}`)).body).toEqual({ recordings: [] });
  });

  it.each([
    ['neither vm nor user', '', 'Invalid value for vm: expected exactly one of vm and user.'],
    ['both', 'vm=vm-1&user=carl@x', 'Invalid value for vm: expected exactly one of vm and user.'],
  ])('refuses a list naming %s', async (_case, query, message) => {
    const response = await operatorList(query);
    expect(response.status).toBe(400);
    expect(response.body).toEqual(invalidArgument(message));
  });

  it('an auditor lists a VM\'s recordings through /api and /rest, in vCenter\'s naming', async () => {
    const api_ = await countRoundTrips(() => api('GET', '/api/vcenter/vm/vm-2/console/recordings', { headers: session(local.ivy!) }));
    expect(api_.result.status).toBe(200);
    const [only] = api_.result.body;
    expect(api_.result.body).toEqual([
      {
        recording: ids['vm-2']![0],
        vm: 'vm-2',
        instance_uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        user: `carl@${tenant.tenant}`,
        session: expect.stringMatching(/^[0-9a-f-]{36}$/),
        console_type: 'WEBMKS',
        client_address: '203.0.113.5',
        input_recorded: false,
        state: 'RECORDING',
        start_time: expect.stringMatching(ISO),
        expiration_time: new Date(Date.parse(only.start_time) - (Date.parse(only.start_time) % 1000) + 90 * 86_400_000).toISOString(),
      },
    ]);
    expectAllowedByIam('vcenterListVmRecordings', api_.live.actions);
    const rest = await api('GET', '/rest/vcenter/vm/vm-2/console/recordings', { headers: session(local.ivy!) });
    expect(rest.status).toBe(200);
    expect(rest.body).toEqual({ value: api_.result.body });
  });

  it('an auditor lists a user\'s recordings across VMs (/api ?user=, /rest ?filter.user=)', async () => {
    const listed = await countRoundTrips(() => api('GET', `/api/vcenter/console/recordings?user=dora@${tenant.tenant}`, { headers: session(local.ivy!) }));
    expect(listed.result.status).toBe(200);
    expect(listed.result.body.map((r: { recording: string }) => r.recording)).toEqual(byUser.dora);
    expectAllowedByIam('vcenterListUserRecordings', listed.live.actions);
    const rest = await api('GET', `/rest/vcenter/console/recordings?filter.user=dora@${tenant.tenant}`, { headers: session(local.ivy!) });
    expect(rest.body).toEqual({ value: listed.result.body });
    // A user of another tenant has no recordings here.
    expect((await api('GET', `/api/vcenter/console/recordings?user=alice@${lab.tenant}`, { headers: session(local.ivy!) })).body).toEqual([]);
    const missing = await api('GET', '/api/vcenter/console/recordings', { headers: session(local.ivy!) });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual(invalidArgument('Invalid value for user: a user name is required.'));
  });

  it('refuses a user without VirtualMachine.Interact.ConsoleAudit with vCenter\'s 403, in both forms', async () => {
    const unauthorized = (message: string) => ({
      error_type: 'UNAUTHORIZED',
      messages: [{ args: [], default_message: message, id: 'com.vmware.vapi.std.errors.unauthorized' }],
    });
    const onVm = 'Permission to perform this operation was denied: VirtualMachine.Interact.ConsoleAudit is required on vm-1.';
    const vmList = await api('GET', '/api/vcenter/vm/vm-1/console/recordings', { headers: session(local.carl!) });
    expect(vmList.status).toBe(403);
    expect(vmList.body).toEqual(unauthorized(onVm));
    const restList = await api('GET', '/rest/vcenter/vm/vm-1/console/recordings', { headers: session(local.carl!) });
    expect(restList.status).toBe(403);
    expect(restList.body).toEqual({
      type: 'com.vmware.vapi.std.errors.unauthorized',
      value: { messages: [{ args: [], default_message: onVm, id: 'com.vmware.vapi.std.errors.unauthorized' }] },
    });
    const userList = await api('GET', `/api/vcenter/console/recordings?user=carl@${tenant.tenant}`, { headers: session(local.carl!) });
    expect(userList.status).toBe(403);
    expect(userList.body).toEqual(unauthorized('Permission to perform this operation was denied: VirtualMachine.Interact.ConsoleAudit is required.'));
    const link = await api('POST', `/api/vcenter/vm/vm-1/console/recordings/${ids['vm-1']![0]}?action=playback`, { headers: session(local.carl!) });
    expect(link.status).toBe(403);
    expect(link.body).toEqual(unauthorized(onVm));
  });

  it('an auditor gets a one-time playback link (/api and /rest); the grant names the auditor as viewer', async () => {
    const recordingId = ids['vm-1']![0]!;
    const link = await countRoundTrips(() => api('POST', `/api/vcenter/vm/vm-1/console/recordings/${recordingId}?action=playback`, { headers: session(local.ivy!) }));
    expect(link.result.status).toBe(200);
    expect(link.result.body).toEqual({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:6080\/playback\.html\?token=/),
      expires_at: expect.stringMatching(ISO),
    });
    expectAllowedByIam('vcenterRecordingPlayback', link.live.actions);
    // Session + VM + tenant (BatchGetItem), the manifest (GetItem), the token (PutItem).
    expect(link.roundTrips).toBe(3);
    const played = await playback(tokenOf(link.result.body.url));
    expect(played.status).toBe(200);
    expect(played.body).toEqual(expect.objectContaining({ viewer: `ivy@${tenant.tenant}`, keyPrefix: `recordings/${tenant.tenant}/vm-1/${recordingId}/` }));
    expect((await playback(tokenOf(link.result.body.url))).status).toBe(404);

    const rest = await api('POST', `/rest/vcenter/vm/vm-1/console/recordings/${recordingId}?~action=playback`, { headers: session(local.ivy!) });
    expect(rest.status).toBe(200);
    expect(rest.body).toEqual({ value: { url: expect.stringContaining('/playback.html?token='), expires_at: expect.stringMatching(ISO) } });
  });

  it('answers another tenant\'s VM and recording as not found, exactly as for other VM routes', async () => {
    // Ivy (this tenant's auditor) and lab's auditor Audrey: neither reaches the other tenant's recordings.
    const foreignVm = await api('GET', '/api/vcenter/vm/vm-1/console/recordings', { headers: session(sessions.audrey!) });
    expect(foreignVm.status).toBe(200); // lab has its own vm-1: its recordings, none of this tenant's
    expect(foreignVm.body.map((r: { recording: string }) => r.recording)).not.toContain(ids['vm-1']![0]);
    const notHere = await api('POST', `/api/vcenter/vm/vm-1/console/recordings/${ids['vm-1']![0]}?action=playback`, { headers: session(sessions.audrey!) });
    expect(notHere.status).toBe(404);
    expect(notHere.body).toEqual(notFound(`Recording ${ids['vm-1']![0]} was not found.`));
    const otherVm = await api('POST', `/api/vcenter/vm/vm-2/console/recordings/${ids['vm-1']![0]}?action=playback`, { headers: session(local.ivy!) });
    expect(otherVm.status).toBe(404);
    const absent = await api('GET', '/api/vcenter/vm/vm-77/console/recordings', { headers: session(local.ivy!) });
    expect(absent.status).toBe(404);
    expect(absent.body).toEqual(notFound('Virtual machine vm-77 was not found.'));
    const vmAbsent = await api('GET', '/api/vcenter/vm/vm-77', { headers: session(local.ivy!) });
    expect(absent.body).toEqual(vmAbsent.body);
    const badAction = await api('POST', `/api/vcenter/vm/vm-1/console/recordings/${ids['vm-1']![0]}?action=delete`, { headers: session(local.ivy!) });
    expect(badAction.status).toBe(400);
    expect(badAction.body).toEqual(invalidArgument('Invalid value for action: expected action=playback.'));
  });
});

describe('a deleted tenant', () => {
  it('loses its manifests and audit entries with its drain; its playback links stop at once', async () => {
    process.env.TENANT_DELETION_SETTLE_SECONDS = '0';
    const doomed = await createLab('rec-del', 'Doomed');
    await doomed.put('', { displayName: 'Doomed', recordingPolicy: { record: true } });
    await doomed.putUser('eve', [CONSOLE]);
    await doomed.putVm('vm-1');
    const eve = await loginVcenter(`eve@${doomed.tenant}`, 'lab-user-pass');
    const issued = await api('POST', '/api/vcenter/vm/vm-1/console/tickets', { headers: session(eve), body: { type: 'WEBMKS' } });
    const target = (await redeem(ticketIn(issued.body.ticket))).body;
    await endReport(report(target, { recording: { recordingId: target.recording.recordingId, state: 'recorded', chunks: 1, bytes: 10 } }));
    const link = await api('POST', `/operator/v1/tenants/${doomed.tenant}/recordings/${target.recording.recordingId}/playbacks`, { headers: OPERATOR });
    expect(link.status).toBe(201);
    const recordingItems = async () =>
      (await scanTable()).filter((item) => String(item.pk).startsWith(`RECORDING#${doomed.tenant}#`) || String(item.sk).startsWith('EVENT#') && item.tenantId === doomed.tenant);
    expect(await recordingItems()).toHaveLength(3); // the manifest, "recording started", "recording stopped"

    expect((await api('DELETE', `/operator/v1/tenants/${doomed.tenant}`, { headers: OPERATOR })).status).toBe(202);
    expect((await playback(tokenOf(link.body.url))).status).toBe(404);
    const context = { awsRequestId: randomUUID(), functionName: 'operatorDrainTenant', getRemainingTimeInMillis: () => 600_000 };
    const chain = randomUUID();
    const { result, live } = await countRoundTrips(async () => {
      let outcome: { state: string };
      do outcome = (await drain({ tenantId: doomed.tenant, chain }, context as unknown as Context)) as { state: string };
      while (outcome.state !== 'drained');
      return outcome;
    });
    expect(result).toEqual(expect.objectContaining({ state: 'drained' }));
    expectAllowedByIam('operatorDrainTenant', live.actions);
    expect(await recordingItems()).toEqual([]);
  });
});
