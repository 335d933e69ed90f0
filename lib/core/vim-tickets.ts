/**
 * vSphere's `VirtualMachine.AcquireTicket` / `AcquireMksTicket` rules: which privilege each
 * `VirtualMachineTicketType` needs, and the checks vSphere makes before issuing one. The console rules they
 * share with vCenter REST tickets (connection state, power state, the console privilege) are
 * lib/core/consoles.ts's; the ticket itself (secret, hash, expiry, one-time use) is lib/core/tickets.ts's.
 */
import { issueConsoleTicket, type ConsoleTicket } from './consoles.js';
import { CONSOLE_PRIVILEGE, type Privilege } from './privileges.js';
import type { SessionRecord, VmRecord } from '../records.js';

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

/** Every ticket type connects to the VM's running VMX, so every type needs the VM powered on. */
const rule = (privilege: Privilege) => ({ privilege, needsPoweredOn: true });

/** `VirtualMachine.AcquireTicket(ticketType)`. */
export const acquireVimTicket = (
  session: SessionRecord | undefined,
  vm: VmRecord | undefined,
  requestedMoId: string,
  type: VimTicketType,
): Promise<ConsoleTicket> => issueConsoleTicket(session, vm, requestedMoId, type, rule(VIM_TICKET_PRIVILEGES[type]));

/** `VirtualMachine.AcquireMksTicket()`: the pre-4.1 form of an `mks` ticket. */
export const acquireMksTicket = (
  session: SessionRecord | undefined,
  vm: VmRecord | undefined,
  requestedMoId: string,
): Promise<ConsoleTicket> => issueConsoleTicket(session, vm, requestedMoId, 'mks', rule(CONSOLE_PRIVILEGE));
