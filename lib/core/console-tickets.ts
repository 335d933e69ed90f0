/**
 * Issuing a console ticket, whatever the dialect: the caller holds the console type's privilege, the VM is
 * ready for it, then the one-time ticket (lib/core/tickets.ts) is minted and rendered. Each dialect declares
 * its console types (privilege, readiness rule, answer) in its own folder: lib/dialects/<dialect>/*-types.ts.
 */
import * as Metrics from '../metrics.js';
import { DomainError, NotAllowedInCurrentState } from './errors.js';
import { requirePrivilege } from './access.js';
import { requireStateReadable } from './inventory.js';
import { admitConsole } from './open-consoles.js';
import { CONSOLE_PRIVILEGE, type Privilege } from './privileges.js';
import { issueTicket } from './tickets.js';
import type { SessionRecord, VmRecord } from '../records.js';

/** A console or ticket type as its dialect declares it. */
export interface ConsoleTicketType<Answer> {
  /** The type in the dialect's words (VMRC, webmks, novnc, ...), recorded on the ticket. */
  name: string;
  /** What the ticket grants; the session must hold it. */
  privilege: Privilege;
  /** Throws the dialect's error when the VM is not ready for this console (checked after the privilege). */
  requireReady: (vm: VmRecord) => void;
  /** The dialect's answer carrying the one-time ticket. */
  answer: (ticket: string, vm: VmRecord) => Answer;
}

/** Consoles that attach to a running VM's screen (WEBMKS, mks, noVNC) need it powered on. */
export function requirePoweredOn(vm: VmRecord, consoleType: string): void {
  if (vm.powerState === 'poweredOn') return;
  throw NotAllowedInCurrentState(
    `A ${consoleType} console requires virtual machine ${vm.moId} to be powered on; it is ${vm.powerState}.`,
    { object: { type: 'VirtualMachine', id: vm.moId }, state: vm.powerState },
  );
}

/**
 * vSphere's readiness rule, in its order: a VM whose state can be read (whatever the console type), then
 * powered on where the console attaches to the running VMX.
 */
export const vsphereReadiness =
  (consoleType: string, needsPoweredOn: boolean) =>
  (vm: VmRecord): void => {
    requireStateReadable(vm);
    if (needsPoweredOn) requirePoweredOn(vm, consoleType);
  };

/**
 * The one way to a console ticket: the privilege (checked here only), the type's readiness rule, then the
 * ticket (one BatchWriteItem: the ticket and its pointer) in the type's answer. The VM is the caller's own, found by the dialect
 * (whose not-found error comes first).
 */
export async function issueConsoleTicket<Answer>(
  session: SessionRecord,
  vm: VmRecord,
  type: ConsoleTicketType<Answer>,
): Promise<Answer> {
  let limits: Awaited<ReturnType<typeof admitConsole>> | undefined;
  try {
    requirePrivilege(session, type.privilege, vm);
    type.requireReady(vm);
    // A ticket that opens the screen counts against the tenant's console limits (device tickets do not).
    if (type.privilege === CONSOLE_PRIVILEGE) limits = await admitConsole(session, vm);
  } catch (error) {
    if (error instanceof DomainError) Metrics.ticketRefused(error.kind);
    throw error;
  }
  const { ticket } = await issueTicket(session, vm, type.name, type.privilege, limits);
  return type.answer(ticket, vm);
}
