/**
 * Console rules shared by every dialect that opens a VM console: which privilege a console needs, which VM
 * states allow it, and how vCenter's REST ticket types (VMRC, WEBMKS) name their target in a URI.
 * The ticket itself (secret, hash, expiry, one-time use) is lib/core/tickets.ts's business.
 */
import { config } from '../config.js';
import { NotAllowedInCurrentState, Unauthenticated } from './errors.js';
import { requireStateReadable } from './inventory.js';
import { CONSOLE_PRIVILEGE, type Privilege } from './privileges.js';
import { issueTicket, requirePrivilege, requireVm, type IssuedTicket } from './tickets.js';
import type { SessionRecord, TicketRecord, VmRecord } from '../records.js';

/** Consoles that attach to a running VM's screen (WEBMKS, mks, noVNC) need it powered on. */
export function requirePoweredOn(vm: VmRecord, consoleType: string): void {
  if (vm.powerState === 'poweredOn') return;
  throw NotAllowedInCurrentState(
    `A ${consoleType} console requires virtual machine ${vm.moId} to be powered on; it is ${vm.powerState}.`,
    { object: { type: 'VirtualMachine', id: vm.moId }, state: vm.powerState },
  );
}

/** `host:port`, with an IPv6 literal bracketed as URIs require. */
const authority = (host: string, port: number): string =>
  `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;

/** What VMRC opens: vCenter's own name, the ticket as the `clone` credential, the VM by moId. */
export const vmrcUri = (ticket: string, vcenterServer: string, moId: string): string =>
  `vmrc://clone:${ticket}@${vcenterServer}/?moid=${encodeURIComponent(moId)}`;

/** What the HTML Console SDK opens: a WebSocket to the ESX host the VM runs on. */
export const webmksUri = (ticket: string, host: VmRecord['host']): string =>
  `wss://${authority(host.address, host.port)}/ticket/${ticket}`;

/** vCenter REST console ticket types (com.vmware.vcenter.vm.console.tickets.type). */
export const VCENTER_CONSOLE_TYPES = ['VMRC', 'WEBMKS'] as const;
export type VcenterConsoleType = (typeof VCENTER_CONSOLE_TYPES)[number];

const VCENTER_CONSOLES: Record<VcenterConsoleType, { needsPoweredOn: boolean; uri: (ticket: string, vm: VmRecord) => string }> = {
  // A VMRC ticket can be had for a powered-off VM (VMRC then shows the VM and can power it on).
  VMRC: { needsPoweredOn: false, uri: (ticket, vm) => vmrcUri(ticket, config.vcenterServerName(), vm.moId) },
  WEBMKS: { needsPoweredOn: true, uri: (ticket, vm) => webmksUri(ticket, vm.host) },
};

export interface ConsoleTicket extends IssuedTicket {
  /** The VM the ticket opens (the caller's own, checked). */
  vm: VmRecord;
}

export interface ConsoleRule {
  privilege: Privilege;
  needsPoweredOn: boolean;
}

/**
 * The checks every console ticket passes, in vSphere's order — the object (absent and foreign alike), the
 * privilege, a readable state, the power state where the console needs a running VM — then the one-time
 * ticket itself (one conditional PutItem). Shared by vCenter REST, vim25 and Nova.
 */
export async function issueConsoleTicket(
  session: SessionRecord | undefined,
  vm: VmRecord | undefined,
  requestedMoId: string,
  consoleType: string,
  rule: ConsoleRule,
): Promise<ConsoleTicket> {
  if (!session) throw Unauthenticated();
  const target = requireVm(vm, requestedMoId);
  requirePrivilege(session, rule.privilege, target);
  // A console needs a VM whose state can be read, whatever the console type.
  requireStateReadable(target);
  if (rule.needsPoweredOn) requirePoweredOn(target, consoleType);
  return { ...(await issueTicket(session, target, consoleType, rule.privilege)), vm: target };
}

/** `vcenter.vm.console.tickets.create`: the one-time ticket in the URI of its type. */
export async function createVcenterConsoleTicket(
  session: SessionRecord | undefined,
  vm: VmRecord | undefined,
  requestedMoId: string,
  type: VcenterConsoleType,
): Promise<{ uri: string; record: TicketRecord }> {
  const console = VCENTER_CONSOLES[type];
  const { ticket, record, vm: target } = await issueConsoleTicket(session, vm, requestedMoId, type, {
    privilege: CONSOLE_PRIVILEGE,
    needsPoweredOn: console.needsPoweredOn,
  });
  return { uri: console.uri(ticket, target), record };
}
