import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, CONSOLE_PROXY } from '../support/api.js';
import { APP_01, DB_01, nova, novaToken, tokenOf, versionHeadersOf, WEB_01 } from '../support/nova.js';

const VNC = { 'os-getVNCConsole': { type: 'novnc' } };
const action = (token: string, version: string | undefined, body: unknown = VNC, server = WEB_01) =>
  api('POST', `/compute/v2.1/servers/${server}/action`, { headers: nova(token, version), body });
const NOVNC_URL = /^http:\/\/127\.0\.0\.1:6080\/vnc_auto\.html\?path=%3Ftoken%3Dacme\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/;

let admin: string;
beforeAll(async () => {
  admin = await novaToken();
});
afterEach(() => {
  delete process.env.NOVA_CONSOLE_TYPES;
});

describe('POST /compute/v2.1/servers/{server_id}/action: the console actions', () => {
  it.each([
    ['no version header (2.1)', undefined, '2.1'],
    ['2.5', '2.5', '2.5'],
  ])('answers os-getVNCConsole with %s: a noVNC URL with a fresh token', async (_case, version, answered) => {
    const response = await action(admin, version);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ console: { type: 'novnc', url: expect.stringMatching(NOVNC_URL) } });
    expect(response.headers).toMatchObject(versionHeadersOf(answered));
  });

  it('issues a token the console proxy redeems exactly once, for the server named', async () => {
    const token = tokenOf((await action(admin, undefined)).body.console.url);
    const redeem = () => api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket: token } });
    const first = await redeem();
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      tenantId: 'acme',
      vmMoId: 'vm-101',
      instanceUuid: WEB_01,
      consoleType: 'novnc',
      issuedTo: 'admin@acme',
      issuedAt: expect.any(String),
      vnc: { host: '127.0.0.1', port: 5901 },
      session: { sessionId: expect.any(String), idleTimeoutSeconds: 1200, maxDurationSeconds: 86_400, heartbeatSeconds: 60 },
    });
    expect((await redeem()).status).toBe(404);
  });

  it.each([
    ['os-getSPICEConsole', 'spice/spice-html5', 'spice-html5', /^http:\/\/127\.0\.0\.1:6080\/spice_auto\.html\?token=acme\./],
    ['os-getSerialConsole', 'serial/serial', 'serial', /^ws:\/\/127\.0\.0\.1:6080\/\?token=acme\./],
    ['os-getRDPConsole', 'rdp/rdp-html5', 'rdp-html5', /^http:\/\/127\.0\.0\.1:6080\/\?token=acme\./],
  ])('answers %s where the deployment serves its type', async (name, served, type, url) => {
    process.env.NOVA_CONSOLE_TYPES = `vnc/novnc,${served}`;
    const response = await action(admin, '2.1', { [name]: { type } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ console: { type, url: expect.stringMatching(url) } });
  });

  it.each([
    ['os-getSPICEConsole', 'spice-html5'],
    ['os-getSerialConsole', 'serial'],
    ['os-getRDPConsole', 'rdp-html5'],
    ['os-getVNCConsole', 'xvpvnc'],
  ])('answers %s with 501 where the deployment does not serve %s', async (name, type) => {
    const response = await action(admin, '2.1', { [name]: { type } });
    expect(response.status).toBe(501);
    expect(response.body).toEqual({ notImplemented: { code: 501, message: 'The requested functionality is not supported.' } });
  });

  it.each(['2.6', '2.96', 'latest'])('is not found at %s: the console actions end at 2.5', async (version) => {
    const response = await action(admin, version);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  });

  it.each([
    ['an action that does not exist', { 'os-getMKSConsole': { type: 'webmks' } }, 'There is no such action: os-getMKSConsole'],
    ['an action that does not exist, at 2.6 too', { reboot: { type: 'HARD' } }, 'There is no such action: reboot'],
    ['two actions', { 'os-getVNCConsole': { type: 'novnc' }, 'os-getSPICEConsole': { type: 'spice-html5' } }, 'Malformed request body'],
    ['an empty body', {}, 'Malformed request body'],
    ['no body', undefined, 'Malformed request body'],
    ['a type of another action', { 'os-getVNCConsole': { type: 'spice-html5' } }, "Invalid input for field/attribute type. Value: spice-html5. 'spice-html5' is not one of ['novnc', 'xvpvnc']"],
    ['a missing type', { 'os-getVNCConsole': {} }, "Invalid input for field/attribute os-getVNCConsole. Value: {}. 'type' is a required property"],
    ['an extra property', { 'os-getVNCConsole': { type: 'novnc', password: 'x' } }, "Invalid input for field/attribute os-getVNCConsole. Value: {'type': 'novnc', 'password': 'x'}. Additional properties are not allowed ('password' was unexpected)"],
    ['a type that is not a string', { 'os-getSerialConsole': { type: 5 } }, "Invalid input for field/attribute type. Value: 5. 5 is not of type 'string'"],
    ['an argument that is not an object', { 'os-getVNCConsole': 'novnc' }, "Invalid input for field/attribute os-getVNCConsole. Value: novnc. 'novnc' is not of type 'object'"],
  ])('refuses %s with 400 as Nova words it', async (caseName, body, message) => {
    const response = await api('POST', `/compute/v2.1/servers/${WEB_01}/action`, {
      headers: nova(admin, caseName.endsWith('2.6 too') ? '2.6' : undefined),
      body,
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ badRequest: { code: 400, message } });
  });

  it.each([
    ['an unknown server', '00000000-0000-4000-8000-000000000000'],
    ["another tenant's server", APP_01],
    ['a server id that is not a UUID', 'web-01'],
  ])('answers 404 for %s', async (_case, server) => {
    const response = await action(admin, undefined, VNC, server);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ itemNotFound: { code: 404, message: `Instance ${server} could not be found.` } });
  });

  it('answers 409 for a server that is not powered on', async () => {
    const response = await action(admin, undefined, VNC, DB_01);
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ conflictingRequest: { code: 409, message: `Instance ${DB_01} is not ready` } });
  });

  it('answers 403 for a user without console privilege', async () => {
    const viewer = await novaToken('viewer@acme', 'acme-viewer-pass');
    const response = await action(viewer, undefined);
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      forbidden: { code: 403, message: 'Permission to perform this operation was denied: VirtualMachine.Interact.ConsoleInteract is required on vm-101.' },
    });
  });

  it('answers 401 without a token, before reading the body', async () => {
    const response = await api('POST', `/compute/v2.1/servers/${WEB_01}/action`, { body: { nonsense: true } });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ unauthorized: { code: 401, message: 'Authentication required.' } });
  });
});
