import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nowSeconds, resetClock } from '../../lib/core/clock.js';
import { CONSOLE_PRIVILEGE, PRIVILEGES, type Privilege } from '../../lib/core/privileges.js';
import { sha256Hex } from '../../lib/protocol/secrets.js';
import { lookupTicket } from '../../lib/core/tickets.js';
import { VIM_TICKET_PRIVILEGES, VIM_TICKET_TYPES, type VimTicketType } from '../../lib/dialects/vim25/console-types.js';
import { countRoundTrips } from '../support/store-instrumentation.js';
import { scanTable } from '../support/table.js';
import { api, CONSOLE_PROXY, session } from '../support/api.js';
import { createLab, LAB_SHA1, LAB_SHA256 } from '../support/lab.js';

afterEach(() => resetClock());

const SDK = '/sdk/vim25/8.0.3.0';
const TICKET = /^[a-z0-9][a-z0-9-]*\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/;
const SHA1 = LAB_SHA1;
const SHA256 = LAB_SHA256;

/** Logs in through `SessionManager.Login` and returns the `vmware-api-session-id`. */
async function vimLogin(userName = 'admin@acme', password = 'acme-admin-pass'): Promise<string> {
  const response = await api('POST', `${SDK}/SessionManager/SessionManager/Login`, { body: { userName, password } });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`);
  return response.headers['vmware-api-session-id']!;
}

const acquireTicket = (sessionId: string | undefined, moId: string, body: unknown, release = '8.0.3.0') =>
  api('POST', `/sdk/vim25/${release}/VirtualMachine/${moId}/AcquireTicket`, {
    headers: sessionId === undefined ? {} : session(sessionId),
    body,
  });

const acquireMksTicket = (sessionId: string | undefined, moId: string, body?: unknown, release = '8.0.3.0') =>
  api('POST', `/sdk/vim25/${release}/VirtualMachine/${moId}/AcquireMksTicket`, {
    headers: sessionId === undefined ? {} : session(sessionId),
    body,
  });

const redeem = (ticket: string) => api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } });

const moRef = (value: string, type = 'VirtualMachine') => ({ _typeName: 'ManagedObjectReference', type, value });

const noPermission = (privilege: string, moId: string) => ({
  _typeName: 'NoPermission',
  faultstring: `Permission to perform this operation was denied: ${privilege} is required on ${moId}.`,
  object: moRef(moId),
  privilegeId: privilege,
  missingPrivileges: [{ _typeName: 'NoPermissionEntityPrivileges', entity: moRef(moId), privilegeIds: [privilege] }],
});

const notFound = (moId: string) => ({
  _typeName: 'ManagedObjectNotFound',
  faultstring: `The object 'vim.VirtualMachine:${moId}' has already been deleted or has not been completely created`,
  obj: moRef(moId),
});

const notAuthenticated = {
  _typeName: 'NotAuthenticated',
  faultstring: 'The session is not authenticated.',
  privilegeId: 'System.View',
};

const invalidTicketType = {
  _typeName: 'InvalidArgument',
  faultstring: 'A specified parameter was not correct: ticketType',
  invalidProperty: 'ticketType',
};

/** The VirtualMachineTicket that vm-101 (web-01, whose demo ESX host is the local console proxy) answers for `type`. */
const web01Ticket = (type: VimTicketType) => ({
  _typeName: 'VirtualMachineTicket',
  ticket: expect.stringMatching(TICKET),
  cfgFile: '[datastore1] web-01/web-01.vmx',
  host: '127.0.0.1',
  port: 6080,
  sslThumbprint: SHA1,
  certThumbprintList: [
    { _typeName: 'VirtualMachineCertThumbprint', thumbprint: SHA1, hashAlgorithm: 'sha1' },
    { _typeName: 'VirtualMachineCertThumbprint', thumbprint: SHA256, hashAlgorithm: 'sha256' },
  ],
  ...(type === 'webmks' ? { url: expect.stringMatching(/^wss:\/\/127\.0\.0\.1:6080\/ticket\//) } : {}),
});

/**
 * A tenant of our own: one user per privilege (holding only it), one user per privilege holding every
 * privilege but it, and VMs in the states the shared demo data must not be changed to.
 */
const lab = { tenant: '', sessions: {} as Record<string, string> };
const only = (privilege: Privilege) => `only-${privilege.split('.').pop()!.toLowerCase()}`;
const allBut = (privilege: Privilege) => `without-${privilege.split('.').pop()!.toLowerCase()}`;
const LAB_VMS: Record<string, Record<string, unknown>> = {
  'vm-on': {},
  'vm-off': { powerState: 'poweredOff' },
  'vm-suspended': { powerState: 'suspended' },
  'vm-disconnected': { connectionState: 'disconnected' },
  'vm-orphaned': { connectionState: 'orphaned' },
  'vm-inaccessible': { connectionState: 'inaccessible' },
  'vm-invalid': { connectionState: 'invalid', powerState: 'poweredOff' },
};

beforeAll(async () => {
  const created = await createLab('vt', 'vim25 ticket lab');
  lab.tenant = created.tenant;
  const users: Record<string, Privilege[]> = { admin: [...PRIVILEGES] };
  for (const privilege of PRIVILEGES) {
    users[only(privilege)] = [privilege];
    users[allBut(privilege)] = PRIVILEGES.filter((held) => held !== privilege);
  }
  for (const [name, privileges] of Object.entries(users)) await created.putUser(name, privileges);
  const host = { address: 'esx-07.lab.test', port: 8443, sslThumbprintSha1: SHA1, sslThumbprintSha256: SHA256 };
  for (const [moId, overrides] of Object.entries(LAB_VMS)) {
    await created.putVm(moId, { host, vmxPath: `[datastore2] ${moId}/${moId}.vmx`, ...overrides });
  }
  for (const name of Object.keys(users)) lab.sessions[name] = await vimLogin(`${name}@${lab.tenant}`, 'lab-user-pass');
});

describe('POST /sdk/vim25/{release}/VirtualMachine/{moId}/AcquireTicket', () => {
  let admin: string;
  beforeAll(async () => {
    admin = await vimLogin();
  });

  describe('success', () => {
    it.each(VIM_TICKET_TYPES)('answers a %s ticket with a VirtualMachineTicket', async (ticketType) => {
      const response = await acquireTicket(admin, 'vm-101', { ticketType });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.body).toEqual(web01Ticket(ticketType));
      expect(await lookupTicket(response.body.ticket, VIM_TICKET_PRIVILEGES[ticketType])).toMatchObject({
        consoleType: ticketType,
        grants: VIM_TICKET_PRIVILEGES[ticketType],
      });
    });

    it('gives a webmks ticket its WebSocket URL: wss://{host}:{port}/ticket/{ticket}', async () => {
      const response = await acquireTicket(admin, 'vm-101', { ticketType: 'webmks' });
      expect(response.body.url).toBe(`wss://127.0.0.1:6080/ticket/${response.body.ticket}`);
    });

    it('names the VM’s own host, port and .vmx file', async () => {
      const response = await acquireTicket(lab.sessions.admin, 'vm-on', { ticketType: 'webmks' });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        _typeName: 'VirtualMachineTicket',
        ticket: expect.stringMatching(new RegExp(`^${lab.tenant}\\.`)),
        cfgFile: '[datastore2] vm-on/vm-on.vmx',
        host: 'esx-07.lab.test',
        port: 8443,
        sslThumbprint: SHA1,
        certThumbprintList: [
    { _typeName: 'VirtualMachineCertThumbprint', thumbprint: SHA1, hashAlgorithm: 'sha1' },
    { _typeName: 'VirtualMachineCertThumbprint', thumbprint: SHA256, hashAlgorithm: 'sha256' },
  ],
        url: `wss://esx-07.lab.test:8443/ticket/${response.body.ticket}`,
      });
    });

    it.each(VIM_TICKET_TYPES)('issues a %s ticket to a user holding only the privilege it needs', async (ticketType) => {
      const response = await acquireTicket(lab.sessions[only(VIM_TICKET_PRIVILEGES[ticketType])], 'vm-on', { ticketType });
      expect(response.status).toBe(200);
      expect(response.body._typeName).toBe('VirtualMachineTicket');
    });

    it('accepts the request’s own _typeName, as govmomi sends it', async () => {
      const response = await acquireTicket(admin, 'vm-101', { _typeName: 'AcquireTicket', ticketType: 'mks' });
      expect(response.status).toBe(200);
      expect(response.body).toEqual(web01Ticket('mks'));
    });

    it('stores a one-time ticket that expires in 30 minutes, by hash only', async () => {
      const issuedAt = nowSeconds();
      const { ticket } = (await acquireTicket(admin, 'vm-103', { ticketType: 'webmks' })).body;
      const record = await lookupTicket(ticket, CONSOLE_PRIVILEGE);
      expect(record).toEqual({
        tenantId: 'acme',
        ticketHash: sha256Hex(ticket.split('.').at(-1)!),
        vmMoId: 'vm-103',
        instanceUuid: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9103',
        consoleType: 'webmks',
        issuedTo: 'admin@acme',
        grants: 'VirtualMachine.Interact.ConsoleInteract',
        vnc: { host: '127.0.0.1', port: 5903 },
        // The tenant's console policy (defaults), carried to the proxy by the redemption.
        sessionLimits: { idleTimeoutSeconds: 1200, maxDurationSeconds: 86_400 },
        issuedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        expiresAt: expect.any(Number),
      });
      expect(record.expiresAt - issuedAt).toBeGreaterThanOrEqual(1800);
      expect(record.expiresAt - issuedAt).toBeLessThanOrEqual(1801);
      const Items = await scanTable();
      expect(JSON.stringify(Items)).not.toContain(ticket.split('.').at(-1)!);
    });

    it('issues a different ticket every time', async () => {
      const first = (await acquireTicket(admin, 'vm-101', { ticketType: 'webmks' })).body.ticket;
      const second = (await acquireTicket(admin, 'vm-101', { ticketType: 'webmks' })).body.ticket;
      expect(first).not.toBe(second);
    });

    it('is redeemed exactly once by the console proxy', async () => {
      const { ticket } = (await acquireTicket(admin, 'vm-101', { ticketType: 'webmks' })).body;
      const first = await redeem(ticket);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        tenantId: 'acme',
        vmMoId: 'vm-101',
        instanceUuid: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101',
        consoleType: 'webmks',
        issuedTo: 'admin@acme',
        issuedAt: expect.any(String),
        vnc: { host: '127.0.0.1', port: 5901 },
        session: { sessionId: expect.any(String), idleTimeoutSeconds: 1200, maxDurationSeconds: 86_400, heartbeatSeconds: 60 },
      });
      const second = await redeem(ticket);
      expect(second.status).toBe(404);
      expect(second.body.messages[0].default_message).toBe('The console ticket is not valid.');
    });

    const NOT_CONSOLE_TYPES = VIM_TICKET_TYPES.filter((type) => VIM_TICKET_PRIVILEGES[type] !== CONSOLE_PRIVILEGE);

    it.each(NOT_CONSOLE_TYPES)(
      'never opens the console with a %s ticket: the proxy and Nova refuse it as unknown, and leave it unused',
      async (ticketType) => {
        // A user who may not use the console, holding only what this ticket type needs.
        const holder = lab.sessions[only(VIM_TICKET_PRIVILEGES[ticketType])];
        const { ticket } = (await acquireTicket(holder, 'vm-on', { ticketType })).body;

        const redeemed = await redeem(ticket);
        expect(redeemed.status).toBe(404);
        expect(redeemed.body.messages[0].default_message).toBe('The console ticket is not valid.');
        const shown = await api('GET', `/compute/v2.1/os-console-auth-tokens/${ticket}`, {
          headers: { ...CONSOLE_PROXY, 'x-openstack-nova-api-version': '2.96' },
        });
        expect(shown.status).toBe(404);
        expect(shown.body).toEqual({ itemNotFound: { code: 404, message: 'Token not found' } });

        expect(await lookupTicket(ticket, VIM_TICKET_PRIVILEGES[ticketType])).toMatchObject({ consoleType: ticketType });
      },
    );

    it('costs three DynamoDB round trips: session, tenant and VM in one BatchGetItem, the VM\'s open consoles counted, then one BatchWriteItem', async () => {
      await acquireTicket(admin, 'vm-101', { ticketType: 'webmks' }); // warm: module load and connection
      const { result: response, roundTrips } = await countRoundTrips(() => acquireTicket(admin, 'vm-101', { ticketType: 'webmks' }));
      expect(response.status).toBe(200);
      expect(roundTrips).toBe(3);
    });
  });

  describe('faults', () => {
    it.each([
      ['an unknown ticket type', 'vnc'],
      ['a drag-and-drop type (not a VirtualMachineTicketType value)', 'dnd'],
      ['a type in the wrong case', 'WEBMKS'],
      ['a type that is not a string', 7],
      ['a missing type', undefined],
    ])('refuses %s with InvalidArgument naming ticketType', async (_case, ticketType) => {
      const response = await acquireTicket(admin, 'vm-101', { ticketType });
      expect(response.status).toBe(500);
      expect(response.body).toEqual(invalidTicketType);
    });

    it('refuses a missing body with InvalidArgument naming ticketType', async () => {
      const response = await acquireTicket(admin, 'vm-101', undefined);
      expect(response.status).toBe(500);
      expect(response.body).toEqual(invalidTicketType);
    });

    it('refuses a body that is not JSON with InvalidArgument', async () => {
      const response = await acquireTicket(admin, 'vm-101', '{"ticketType":');
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ _typeName: 'InvalidArgument', faultstring: 'The request body is not valid JSON.' });
    });

    it.each(VIM_TICKET_TYPES)(
      'refuses a %s ticket with NoPermission naming the privilege and the VM to a user holding every other privilege',
      async (ticketType) => {
        const privilege = VIM_TICKET_PRIVILEGES[ticketType];
        const response = await acquireTicket(lab.sessions[allBut(privilege)], 'vm-on', { ticketType });
        expect(response.status).toBe(500);
        expect(response.body).toEqual(noPermission(privilege, 'vm-on'));
      },
    );

    it.each(VIM_TICKET_TYPES)('refuses a %s ticket to a user holding only VirtualMachine.Interact.DnD', async (ticketType) => {
      const response = await acquireTicket(lab.sessions[only('VirtualMachine.Interact.DnD')], 'vm-on', { ticketType });
      expect(response.status).toBe(500);
      expect(response.body).toEqual(noPermission(VIM_TICKET_PRIVILEGES[ticketType], 'vm-on'));
    });

    it('checks the privilege before the VM state, as vSphere does', async () => {
      const viewer = await vimLogin('viewer@acme', 'acme-viewer-pass');
      const response = await acquireTicket(viewer, 'vm-102', { ticketType: 'webmks' });
      expect(response.body).toEqual(noPermission('VirtualMachine.Interact.ConsoleInteract', 'vm-102'));
    });

    it.each([
      ['an unknown moId', 'vm-999'],
      ['another tenant’s VM', 'vm-201'],
      ['a moId that cannot be one', 'vm 1!'],
    ])('refuses %s with ManagedObjectNotFound naming the requested object', async (_case, moId) => {
      const response = await acquireTicket(admin, encodeURIComponent(moId), { ticketType: 'webmks' });
      expect(response.status).toBe(500);
      expect(response.body).toEqual(notFound(moId));
    });

    it.each(VIM_TICKET_TYPES.flatMap((type) => [[type, 'vm-off', 'poweredOff'], [type, 'vm-suspended', 'suspended']] as const))(
      'refuses a %s ticket for %s with InvalidState',
      async (ticketType, moId, powerState) => {
        const response = await acquireTicket(lab.sessions.admin, moId, { ticketType });
        expect(response.status).toBe(500);
        expect(response.body).toEqual({
          _typeName: 'InvalidState',
          faultstring: `A ${ticketType} console requires virtual machine ${moId} to be powered on; it is ${powerState}.`,
        });
      },
    );

    it.each(['vm-disconnected', 'vm-orphaned', 'vm-inaccessible', 'vm-invalid'])(
      'refuses %s (not connected) with InvalidState',
      async (moId) => {
        const response = await acquireTicket(lab.sessions.admin, moId, { ticketType: 'webmks' });
        expect(response.status).toBe(500);
        expect(response.body).toEqual({ _typeName: 'InvalidState', faultstring: 'The operation is not allowed in the current state.' });
      },
    );

    it.each([
      ['no session header', undefined],
      ['a malformed session id', 'not-a-session'],
      ['a forged session id', `acme.${'A'.repeat(16)}.${'A'.repeat(43)}`],
    ])('refuses %s with NotAuthenticated', async (_case, sessionId) => {
      const response = await acquireTicket(sessionId, 'vm-101', { ticketType: 'webmks' });
      expect(response.status).toBe(500);
      expect(response.body).toEqual(notAuthenticated);
    });

    it.each([
      ['an unknown release', '9.9.9.9'],
      ['a release before the JSON protocol', '7.0.3.0'],
      ['a release that is not one', 'latest'],
    ])('answers %s with 404, with or without a session', async (_case, release) => {
      for (const sessionId of [admin, undefined]) {
        const response = await acquireTicket(sessionId, 'vm-101', { ticketType: 'webmks' }, release);
        expect(response.status).toBe(404);
        expect(response.text).toBe('');
      }
    });

    it('costs no round trip for an unknown release', async () => {
      const { roundTrips } = await countRoundTrips(() => acquireTicket(admin, 'vm-101', { ticketType: 'webmks' }, '9.9.9.9'));
      expect(roundTrips).toBe(0);
    });
  });
});

describe('POST /sdk/vim25/{release}/VirtualMachine/{moId}/AcquireMksTicket', () => {
  let admin: string;
  beforeAll(async () => {
    admin = await vimLogin();
  });

  it('answers a VirtualMachineMksTicket', async () => {
    const response = await acquireMksTicket(admin, 'vm-101');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      _typeName: 'VirtualMachineMksTicket',
      ticket: expect.stringMatching(TICKET),
      cfgFile: '[datastore1] web-01/web-01.vmx',
      host: '127.0.0.1',
      port: 6080,
      sslThumbprint: SHA1,
    });
  });

  it('ignores the body govmomi sends, {"_typeName":"AcquireMksTicket"}', async () => {
    const response = await acquireMksTicket(admin, 'vm-101', { _typeName: 'AcquireMksTicket' });
    expect(response.status).toBe(200);
    expect(response.body._typeName).toBe('VirtualMachineMksTicket');
  });

  it('issues an mks ticket that the console proxy redeems exactly once', async () => {
    const { ticket } = (await acquireMksTicket(admin, 'vm-103')).body;
    const first = await redeem(ticket);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ tenantId: 'acme', vmMoId: 'vm-103', consoleType: 'mks', vnc: { host: '127.0.0.1', port: 5903 } });
    expect((await redeem(ticket)).status).toBe(404);
  });

  it('is issued to a user holding only VirtualMachine.Interact.ConsoleInteract', async () => {
    const response = await acquireMksTicket(lab.sessions[only('VirtualMachine.Interact.ConsoleInteract')], 'vm-on');
    expect(response.status).toBe(200);
  });

  it('costs three DynamoDB round trips (the VM\'s open consoles counted against its limit)', async () => {
    await acquireMksTicket(admin, 'vm-101');
    const { result, roundTrips } = await countRoundTrips(() => acquireMksTicket(admin, 'vm-101'));
    expect(result.status).toBe(200);
    expect(roundTrips).toBe(3);
  });

  it('refuses a user without ConsoleInteract with NoPermission', async () => {
    const response = await acquireMksTicket(lab.sessions[allBut('VirtualMachine.Interact.ConsoleInteract')], 'vm-on');
    expect(response.status).toBe(500);
    expect(response.body).toEqual(noPermission('VirtualMachine.Interact.ConsoleInteract', 'vm-on'));
  });

  it.each([['vm-off', 'poweredOff'], ['vm-suspended', 'suspended']])('refuses %s with InvalidState', async (moId, powerState) => {
    const response = await acquireMksTicket(lab.sessions.admin, moId);
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      _typeName: 'InvalidState',
      faultstring: `A mks console requires virtual machine ${moId} to be powered on; it is ${powerState}.`,
    });
  });

  it('refuses a disconnected VM with InvalidState', async () => {
    const response = await acquireMksTicket(lab.sessions.admin, 'vm-disconnected');
    expect(response.body).toEqual({ _typeName: 'InvalidState', faultstring: 'The operation is not allowed in the current state.' });
  });

  it.each(['vm-999', 'vm-201'])('refuses %s with ManagedObjectNotFound', async (moId) => {
    const response = await acquireMksTicket(admin, moId);
    expect(response.status).toBe(500);
    expect(response.body).toEqual(notFound(moId));
  });

  it('refuses a call without a session with NotAuthenticated', async () => {
    const response = await acquireMksTicket(undefined, 'vm-101');
    expect(response.status).toBe(500);
    expect(response.body).toEqual(notAuthenticated);
  });

  it('answers an unknown release with 404', async () => {
    const response = await acquireMksTicket(admin, 'vm-101', undefined, '9.9.9.9');
    expect(response.status).toBe(404);
  });
});

describe('SessionManager with the ticket operations', () => {
  it('Login → AcquireTicket → Logout, after which the session is refused', async () => {
    const login = await api('POST', `${SDK}/SessionManager/SessionManager/Login`, {
      body: { _typeName: 'Login', userName: `admin@${lab.tenant}`, password: 'lab-user-pass' },
    });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ _typeName: 'UserSession', userName: `admin@${lab.tenant}` });
    const sessionId = login.headers['vmware-api-session-id']!;

    expect((await acquireTicket(sessionId, 'vm-on', { ticketType: 'webmks' })).status).toBe(200);

    const logout = await api('POST', `${SDK}/SessionManager/SessionManager/Logout`, { headers: session(sessionId) });
    expect(logout.status).toBe(204);

    const after = await acquireTicket(sessionId, 'vm-on', { ticketType: 'webmks' });
    expect(after.status).toBe(500);
    expect(after.body).toEqual(notAuthenticated);
    const again = await api('POST', `${SDK}/SessionManager/SessionManager/Logout`, { headers: session(sessionId) });
    expect(again.status).toBe(500);
    expect(again.body).toEqual(notAuthenticated);
  });

  it('answers Login and Logout under an unknown release with 404', async () => {
    const login = await api('POST', '/sdk/vim25/9.9.9.9/SessionManager/SessionManager/Login', {
      body: { userName: 'admin@acme', password: 'acme-admin-pass' },
    });
    expect(login.status).toBe(404);
    expect(login.headers['vmware-api-session-id']).toBeUndefined();
    const logout = await api('POST', '/sdk/vim25/9.9.9.9/SessionManager/SessionManager/Logout', {
      headers: session(await vimLogin()),
    });
    expect(logout.status).toBe(404);
  });
});
