import * as store from '../store/index.js';
import type { ConsoleRecord, SessionRecord, VmRecord } from '../records.js';
import { isoNow } from './clock.js';
import { NotAllowedInCurrentState, NotFound } from './errors.js';
import { CONSOLE_PRIVILEGE } from './privileges.js';
import { issueTicket, requirePrivilege, type IssuedTicket } from './tickets.js';

/**
 * Nova's legacy os-consoles: a server has at most one console (Nova's console manager reused the console of
 * an instance in its pool). The console itself holds no secret: its `password` is a fresh one-time console
 * ticket minted on each read, because only ticket hashes are ever stored.
 */

const consoleNotFound = (consoleId: number | string) => NotFound(`Console ${consoleId} could not be found.`);

/** A console needs a running, reachable server; otherwise Nova's InstanceNotReady (409). */
export function requireConsoleReady(vm: VmRecord): void {
  if (vm.powerState !== 'poweredOn' || vm.connectionState !== 'connected') {
    throw NotAllowedInCurrentState(`Instance ${vm.instanceUuid} is not ready`, { state: vm.powerState });
  }
}

/**
 * A one-time console token for a server that is ready for a console: every Nova path that hands out a
 * token (remote-consoles, os-consoles `show`) issues it here, so none can skip the readiness rule.
 */
export async function issueConsoleToken(session: SessionRecord, vm: VmRecord, consoleType: string): Promise<IssuedTicket> {
  requirePrivilege(session, CONSOLE_PRIVILEGE, vm);
  requireConsoleReady(vm);
  return issueTicket(session, vm, consoleType, CONSOLE_PRIVILEGE);
}

export async function createConsole(session: SessionRecord, vm: VmRecord, consoleType: string): Promise<ConsoleRecord> {
  requirePrivilege(session, 'VirtualMachine.Interact.ConsoleInteract', vm);
  const existing = await store.getConsole(vm.tenantId, vm.instanceUuid);
  if (existing) return existing;
  const console: ConsoleRecord = {
    tenantId: vm.tenantId,
    instanceUuid: vm.instanceUuid,
    consoleId: await store.nextConsoleId(vm.tenantId),
    consoleType,
    createdAt: isoNow(),
  };
  if (await store.putConsoleIfAbsent(console)) return console;
  // A concurrent create won; its console is the server's console.
  return (await store.getConsole(vm.tenantId, vm.instanceUuid)) ?? console;
}

/** A server's consoles; an unknown or foreign server simply has none (Nova's index never 404s). */
export async function listConsoles(session: SessionRecord, vm: VmRecord | undefined): Promise<ConsoleRecord[]> {
  if (!vm) return [];
  requirePrivilege(session, CONSOLE_PRIVILEGE, vm);
  const console = await store.getConsole(vm.tenantId, vm.instanceUuid);
  return console ? [console] : [];
}

/** The console with its connection password: a one-time ticket for the server's VNC endpoint, if it is ready. */
export async function showConsole(
  session: SessionRecord,
  vm: VmRecord | undefined,
  consoleId: number,
): Promise<{ console: ConsoleRecord; vm: VmRecord; password: IssuedTicket }> {
  if (!vm) throw consoleNotFound(consoleId);
  requirePrivilege(session, CONSOLE_PRIVILEGE, vm);
  const console = await store.getConsole(vm.tenantId, vm.instanceUuid);
  if (!console || console.consoleId !== consoleId) throw consoleNotFound(consoleId);
  return { console, vm, password: await issueConsoleToken(session, vm, console.consoleType) };
}

/** Deletes the server's console; the caller needs what creating one needs. */
export async function deleteConsole(session: SessionRecord, vm: VmRecord | undefined, consoleId: number): Promise<void> {
  if (!vm) throw consoleNotFound(consoleId);
  requirePrivilege(session, CONSOLE_PRIVILEGE, vm);
  if (!(await store.deleteConsole(vm.tenantId, vm.instanceUuid, consoleId))) throw consoleNotFound(consoleId);
}
