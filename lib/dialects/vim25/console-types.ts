/**
 * vSphere's `VirtualMachine.AcquireTicket` / `AcquireMksTicket` ticket types: the privilege each needs, its
 * readiness rule and the `VirtualMachineTicket` it is answered with. Adding a ticket type is a row here.
 */
import { vsphereReadiness, type ConsoleTicketType } from '../../core/console-tickets.js';
import { CONSOLE_PRIVILEGE, type Privilege } from '../../core/privileges.js';
import type { VmRecord } from '../../records.js';

/** `VirtualMachineTicketType` of vSphere 8.0.3, every value. */
export const VIM_TICKET_TYPES = ['mks', 'device', 'guestControl', 'webmks', 'guestIntegrity', 'webRemoteDevice'] as const;
export type VimTicketType = (typeof VIM_TICKET_TYPES)[number];

/**
 * The privilege each ticket type needs, as AcquireTicket documents it. `webRemoteDevice` is the WebSocket
 * successor of `device` ("Use webRemoteDevice instead"), so it needs what `device` needs.
 */
export const VIM_TICKET_PRIVILEGES: Record<VimTicketType, Privilege> = {
  mks: CONSOLE_PRIVILEGE,
  webmks: CONSOLE_PRIVILEGE,
  device: 'VirtualMachine.Interact.DeviceConnection',
  webRemoteDevice: 'VirtualMachine.Interact.DeviceConnection',
  guestControl: 'VirtualMachine.Interact.GuestControl',
  guestIntegrity: 'VirtualMachine.Interact.GuestControl',
};

/** `host:port`, with an IPv6 literal bracketed as URIs require. */
const authority = (host: string, port: number): string =>
  `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;

/** What the HTML Console SDK opens: a WebSocket to the ESX host the VM runs on. */
export const webmksUri = (ticket: string, host: VmRecord['host']): string =>
  `wss://${authority(host.address, host.port)}/ticket/${ticket}`;

/** The ESX host the client connects to, and the SHA-1 thumbprint of its certificate. */
const hostIdentity = (vm: VmRecord) => ({
  host: vm.host.address,
  port: vm.host.port,
  sslThumbprint: vm.host.sslThumbprintSha1,
});

/**
 * `VirtualMachineTicket`. `certThumbprintList` carries the SHA-1 and the SHA-256 thumbprint, as the issue
 * asks (vSphere 8.0.3's `VirtualMachineCertThumbprintHashAlgorithm` names only `sha256`; clients that know
 * only that value skip the `sha1` entry, and clients pinning SHA-1 find it there as in `sslThumbprint`).
 * Only `webmks` is documented as a WebSocket URL (`wss://{host}/ticket/{ticket}`), so only it carries `url`.
 */
export const virtualMachineTicket = (ticket: string, vm: VmRecord, type: VimTicketType) => ({
  _typeName: 'VirtualMachineTicket',
  ticket,
  cfgFile: vm.vmxPath,
  ...hostIdentity(vm),
  certThumbprintList: [
    { _typeName: 'VirtualMachineCertThumbprint', thumbprint: vm.host.sslThumbprintSha1, hashAlgorithm: 'sha1' },
    { _typeName: 'VirtualMachineCertThumbprint', thumbprint: vm.host.sslThumbprintSha256, hashAlgorithm: 'sha256' },
  ],
  ...(type === 'webmks' ? { url: webmksUri(ticket, vm.host) } : {}),
});

/** `VirtualMachineMksTicket` (deprecated since 4.1, still served). */
export const virtualMachineMksTicket = (ticket: string, vm: VmRecord) => ({
  _typeName: 'VirtualMachineMksTicket',
  ticket,
  cfgFile: vm.vmxPath,
  ...hostIdentity(vm),
});

type VimTicket = ReturnType<typeof virtualMachineTicket>;

/** Every ticket type connects to the VM's running VMX, so every type needs the VM powered on. */
export const VIM_TICKETS = Object.fromEntries(
  VIM_TICKET_TYPES.map((type): [VimTicketType, ConsoleTicketType<VimTicket>] => [
    type,
    {
      name: type,
      privilege: VIM_TICKET_PRIVILEGES[type],
      requireReady: vsphereReadiness(type, true),
      answer: (ticket, vm) => virtualMachineTicket(ticket, vm, type),
    },
  ]),
) as Record<VimTicketType, ConsoleTicketType<VimTicket>>;

/** `VirtualMachine.AcquireMksTicket()`: the pre-4.1 form of an `mks` ticket. */
export const VIM_MKS_TICKET: ConsoleTicketType<ReturnType<typeof virtualMachineMksTicket>> = {
  name: 'mks',
  privilege: CONSOLE_PRIVILEGE,
  requireReady: vsphereReadiness('mks', true),
  answer: virtualMachineMksTicket,
};
