import * as store from '../store/index.js';
import type { ConsoleRecord } from '../store/consoles.js';
import { isoNow } from './clock.js';
import { NotFound } from './errors.js';
import type { SessionRecord, VmRecord } from './model.js';
import { CONSOLE_PRIVILEGE } from './privileges.js';
import { issueTicket, requirePrivilege, type IssuedTicket } from './tickets.js';

/**
 * Nova's legacy os-consoles: a server has at most one console (Nova's console manager reused the console of
 * an instance in its pool). The console itself holds no secret: its `password` is a fresh one-time console
 * ticket minted on each read, because only ticket hashes are ever stored.
 */
export type { ConsoleRecord };

const consoleNotFound = (consoleId: number | string) => NotFound(`Console ${consoleId} could not be found.`);

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

/** The console with its connection password: a one-time ticket for the server's VNC endpoint. */
export async function showConsole(
  session: SessionRecord,
  vm: VmRecord | undefined,
  consoleId: number,
): Promise<{ console: ConsoleRecord; vm: VmRecord; password: IssuedTicket }> {
  if (!vm) throw consoleNotFound(consoleId);
  requirePrivilege(session, CONSOLE_PRIVILEGE, vm);
  const console = await store.getConsole(vm.tenantId, vm.instanceUuid);
  if (!console || console.consoleId !== consoleId) throw consoleNotFound(consoleId);
  return { console, vm, password: await issueTicket(session, vm, console.consoleType, CONSOLE_PRIVILEGE) };
}

/** Deletes the server's console; the caller needs what creating one needs. */
export async function deleteConsole(session: SessionRecord, vm: VmRecord | undefined, consoleId: number): Promise<void> {
  if (!vm) throw consoleNotFound(consoleId);
  requirePrivilege(session, CONSOLE_PRIVILEGE, vm);
  if (!(await store.deleteConsole(vm.tenantId, vm.instanceUuid, consoleId))) throw consoleNotFound(consoleId);
}
