import { afterEach, describe, expect, it, vi } from 'vitest';
import { issueConsoleTicket, type ConsoleTicketType } from '../../lib/core/console-tickets.js';
import { DomainError } from '../../lib/core/errors.js';
import { CONSOLE_PRIVILEGE, type Privilege } from '../../lib/core/privileges.js';
import { consoleUrl, legacyConsole, remoteConsole, typesOfProtocol } from '../../lib/dialects/nova/console-types.js';
import { consoleEnums } from '../../lib/dialects/nova/remote-consoles.js';
import { VCENTER_CONSOLES, vmrcUri } from '../../lib/dialects/vcenter/console-types.js';
import {
  VIM_MKS_TICKET,
  VIM_TICKET_PRIVILEGES,
  VIM_TICKET_TYPES,
  VIM_TICKETS,
  webmksUri,
} from '../../lib/dialects/vim25/console-types.js';
import type { SessionRecord, VmRecord } from '../../lib/records.js';

const SHA1 = 'AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD';
const SHA256 = Array.from({ length: 32 }, () => 'AB').join(':');
const TICKET = 'acme.0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';

const vm = (overrides: Partial<VmRecord> = {}): VmRecord => ({
  tenantId: 'acme',
  moId: 'vm-101',
  instanceUuid: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101',
  name: 'web-01',
  powerState: 'poweredOn',
  connectionState: 'connected',
  guestOsFamily: 'linux',
  host: { address: 'esx-07.lab.test', port: 443, sslThumbprintSha1: SHA1, sslThumbprintSha256: SHA256 },
  vnc: { host: '127.0.0.1', port: 5990 },
  vmxPath: '[datastore1] web-01/web-01.vmx',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

const session = (privileges: Privilege[]): SessionRecord =>
  ({ tenantId: 'acme', userName: 'alice@acme', privileges }) as unknown as SessionRecord;

/** What a check threw, as a dialect sees it. */
function refusal(run: () => unknown): { kind: string; message: string } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { kind: error.kind, message: error.message };
  }
  throw new Error('expected a refusal');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Nova console URLs', () => {
  const token = 'acme.tok_en-1';
  it.each([
    ['novnc', 'http://127.0.0.1:6080', `http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3D${token}`],
    ['xvpvnc', 'http://127.0.0.1:6080', `http://127.0.0.1:6080/console?token=${token}`],
    ['spice-html5', 'http://127.0.0.1:6080', `http://127.0.0.1:6080/spice_auto.html?token=${token}`],
    ['serial', 'http://127.0.0.1:6080', `ws://127.0.0.1:6080/?token=${token}`],
    ['serial', 'https://console.example.com/', `wss://console.example.com/?token=${token}`],
    ['rdp-html5', 'http://127.0.0.1:6080', `http://127.0.0.1:6080/?token=${token}`],
    ['webmks', 'https://console.example.com//', `https://console.example.com/?token=${token}`],
    ['novnc', 'https://console.example.com/nova/', `https://console.example.com/nova/vnc_auto.html?path=%3Ftoken%3D${token}`],
  ])('%s from %s', (type, base, expected) => {
    vi.stubEnv('CONSOLE_PROXY_BASE_URL', base);
    expect(consoleUrl(type, token)).toBe(expected);
  });

  it('answers a remote console with its URL', () => {
    expect(remoteConsole({ protocol: 'vnc', type: 'novnc' }).answer(token, vm())).toBe(
      `http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3D${token}`,
    );
  });

  it("answers a legacy console with the bare token (its password), of the deployment's first type", () => {
    vi.stubEnv('NOVA_CONSOLE_TYPES', 'spice/spice-html5, vnc/novnc');
    expect(legacyConsole()).toMatchObject({ name: 'spice-html5', privilege: CONSOLE_PRIVILEGE });
    expect(legacyConsole().answer(token, vm())).toBe(token);
  });
});

describe('Nova console types', () => {
  it.each([
    [{ major: 2, minor: 6 }, ['vnc', 'spice', 'serial', 'rdp'], ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'rdp-html5']],
    [{ major: 2, minor: 7 }, ['vnc', 'spice', 'serial', 'rdp'], ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'rdp-html5']],
    [{ major: 2, minor: 8 }, ['vnc', 'spice', 'serial', 'rdp', 'mks'], ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'rdp-html5', 'webmks']],
  ])("at %o the schema's enums are %j and %j", (version, protocol, type) => {
    expect(consoleEnums(version)).toEqual({ protocol, type });
  });

  it.each([
    ['vnc', ['novnc', 'xvpvnc']],
    ['spice', ['spice-html5']],
    ['serial', ['serial']],
    ['rdp', ['rdp-html5']],
    ['mks', ['webmks']],
    ['nope', []],
  ])('protocol %s has the types %j', (protocol, types) => {
    expect(typesOfProtocol(protocol)).toEqual(types);
  });

  it.each([
    ['a mismatched pair', 'vnc/novnc', { protocol: 'spice', type: 'novnc' }, vm(), { kind: 'invalid_argument', message: 'Invalid console type novnc' }],
    ['a pair not served', 'vnc/novnc', { protocol: 'spice', type: 'spice-html5' }, vm(), { kind: 'unsupported', message: 'The requested functionality is not supported.' }],
    // The type is checked before the instance, as Nova's compute manager does.
    ['a pair not served, server off', 'vnc/novnc', { protocol: 'mks', type: 'webmks' }, vm({ powerState: 'poweredOff' }), { kind: 'unsupported', message: 'The requested functionality is not supported.' }],
    ['a server powered off', 'vnc/novnc', { protocol: 'vnc', type: 'novnc' }, vm({ powerState: 'poweredOff' }), { kind: 'not_allowed_in_current_state', message: 'Instance 4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101 is not ready' }],
    ['a server disconnected', 'vnc/novnc,mks/webmks', { protocol: 'mks', type: 'webmks' }, vm({ connectionState: 'disconnected' }), { kind: 'not_allowed_in_current_state', message: 'Instance 4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101 is not ready' }],
  ])('refuses %s', (_case, served, request, target, expected) => {
    vi.stubEnv('NOVA_CONSOLE_TYPES', served);
    expect(refusal(() => remoteConsole(request).requireReady(target))).toEqual(expected);
  });

  it('admits a served pair for a running, connected server', () => {
    vi.stubEnv('NOVA_CONSOLE_TYPES', 'vnc/novnc, mks/webmks');
    expect(() => remoteConsole({ protocol: 'mks', type: 'webmks' }).requireReady(vm())).not.toThrow();
  });
});

describe('vCenter console ticket URIs', () => {
  it.each([
    ['VMRC', vm(), `vmrc://clone:${TICKET}@vcenter.acme.test/?moid=vm-101`],
    ['VMRC', vm({ moId: 'vm 1/2' }), `vmrc://clone:${TICKET}@vcenter.acme.test/?moid=vm%201%2F2`],
    ['WEBMKS', vm(), `wss://esx-07.lab.test:443/ticket/${TICKET}`],
    ['WEBMKS', vm({ host: { ...vm().host, address: 'fd00::7', port: 902 } }), `wss://[fd00::7]:902/ticket/${TICKET}`],
    ['WEBMKS', vm({ host: { ...vm().host, address: '[fd00::7]', port: 902 } }), `wss://[fd00::7]:902/ticket/${TICKET}`],
  ] as const)('%s for %o', (type, target, expected) => {
    expect(VCENTER_CONSOLES[type].answer(TICKET, target)).toBe(expected);
  });

  it('names the configured vCenter server in a VMRC URI', () => {
    vi.stubEnv('VCENTER_SERVER_NAME', 'vc.example.com');
    expect(VCENTER_CONSOLES.VMRC.answer(TICKET, vm())).toBe(vmrcUri(TICKET, 'vc.example.com', 'vm-101'));
    expect(vmrcUri(TICKET, 'vc.example.com', 'vm-101')).toBe(`vmrc://clone:${TICKET}@vc.example.com/?moid=vm-101`);
  });

  it.each([
    ['VMRC', vm({ powerState: 'poweredOff' }), undefined],
    ['VMRC', vm({ powerState: 'suspended' }), undefined],
    ['WEBMKS', vm({ powerState: 'poweredOff' }), { kind: 'not_allowed_in_current_state', message: 'A WEBMKS console requires virtual machine vm-101 to be powered on; it is poweredOff.' }],
    ['VMRC', vm({ connectionState: 'orphaned' }), { kind: 'resource_inaccessible', message: 'Virtual machine vm-101 is orphaned; its configuration or execution state cannot be read.' }],
    // A state that cannot be read is refused before the power state is looked at.
    ['WEBMKS', vm({ connectionState: 'inaccessible', powerState: 'poweredOff' }), { kind: 'resource_inaccessible', message: 'Virtual machine vm-101 is inaccessible; its configuration or execution state cannot be read.' }],
  ] as const)('%s readiness for %o', (type, target, expected) => {
    if (expected) expect(refusal(() => VCENTER_CONSOLES[type].requireReady(target))).toEqual(expected);
    else expect(() => VCENTER_CONSOLES[type].requireReady(target)).not.toThrow();
  });
});

describe('vim25 ticket answers', () => {
  const certThumbprintList = [
    { _typeName: 'VirtualMachineCertThumbprint', thumbprint: SHA1, hashAlgorithm: 'sha1' },
    { _typeName: 'VirtualMachineCertThumbprint', thumbprint: SHA256, hashAlgorithm: 'sha256' },
  ];
  const host = { host: 'esx-07.lab.test', port: 443, sslThumbprint: SHA1 };

  it.each(VIM_TICKET_TYPES)('answers a %s ticket with a VirtualMachineTicket, with a url only for webmks', (type) => {
    expect(VIM_TICKETS[type].answer(TICKET, vm())).toStrictEqual({
      _typeName: 'VirtualMachineTicket',
      ticket: TICKET,
      cfgFile: '[datastore1] web-01/web-01.vmx',
      ...host,
      certThumbprintList,
      ...(type === 'webmks' ? { url: `wss://esx-07.lab.test:443/ticket/${TICKET}` } : {}),
    });
  });

  it('answers AcquireMksTicket with a VirtualMachineMksTicket', () => {
    expect(VIM_MKS_TICKET.answer(TICKET, vm())).toStrictEqual({
      _typeName: 'VirtualMachineMksTicket',
      ticket: TICKET,
      cfgFile: '[datastore1] web-01/web-01.vmx',
      ...host,
    });
  });

  it.each([
    ['mks', CONSOLE_PRIVILEGE],
    ['webmks', CONSOLE_PRIVILEGE],
    ['device', 'VirtualMachine.Interact.DeviceConnection'],
    ['webRemoteDevice', 'VirtualMachine.Interact.DeviceConnection'],
    ['guestControl', 'VirtualMachine.Interact.GuestControl'],
    ['guestIntegrity', 'VirtualMachine.Interact.GuestControl'],
  ] as const)('a %s ticket needs %s and a powered-on VM', (type, privilege) => {
    expect(VIM_TICKETS[type]).toMatchObject({ name: type, privilege });
    expect(VIM_TICKET_PRIVILEGES[type]).toBe(privilege);
    expect(refusal(() => VIM_TICKETS[type].requireReady(vm({ powerState: 'suspended' })))).toEqual({
      kind: 'not_allowed_in_current_state',
      message: `A ${type} console requires virtual machine vm-101 to be powered on; it is suspended.`,
    });
  });

  it('brackets an IPv6 ESX host in the webmks url', () => {
    expect(webmksUri(TICKET, { ...vm().host, address: '2001:db8::1' })).toBe(`wss://[2001:db8::1]:443/ticket/${TICKET}`);
  });
});

describe('issueConsoleTicket refusals (before any ticket is stored)', () => {
  const type: ConsoleTicketType<string> = VCENTER_CONSOLES.WEBMKS;

  it.each([
    ['a session without the privilege', session(['VirtualMachine.Interact.DnD']), vm({ powerState: 'poweredOff' }), {
      kind: 'unauthorized',
      message: `Permission to perform this operation was denied: ${CONSOLE_PRIVILEGE} is required on vm-101.`,
    }],
    ['a VM not ready', session([CONSOLE_PRIVILEGE]), vm({ powerState: 'poweredOff' }), {
      kind: 'not_allowed_in_current_state',
      message: 'A WEBMKS console requires virtual machine vm-101 to be powered on; it is poweredOff.',
    }],
  ])('refuses %s: the privilege first, then the readiness', async (_case, caller, target, expected) => {
    await expect(issueConsoleTicket(caller, target, type)).rejects.toMatchObject(expected);
  });
});
