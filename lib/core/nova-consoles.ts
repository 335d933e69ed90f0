import * as store from '../store/index.js';
import { requirePrivilege } from './access.js';
import { isoNow } from './clock.js';
import { issueConsoleTicket, type ConsoleTicketType } from './console-tickets.js';
import { NotFound } from './errors.js';
import type { ConsoleRecord, SessionRecord, VmRecord } from '../records.js';

/**
 * Nova's legacy os-consoles: a server has at most one console (Nova's console manager reused the console of
 * an instance in its pool). The console itself holds no secret: its `password` is a fresh one-time console
 * ticket minted on each read, because only ticket hashes are ever stored. The console type (its privilege,
 * readiness rule) is the dialect's: lib/dialects/nova/console-types.ts.
 */

const consoleNotFound = (consoleId: number | string) => NotFound(`Console ${consoleId} could not be found.`);

/** Creates the server's console of `type`, or returns the one it has. */
export async function createConsole(session: SessionRecord, vm: VmRecord, type: ConsoleTicketType<string>): Promise<ConsoleRecord> {
  requirePrivilege(session, type.privilege, vm);
  const existing = await store.getConsole(vm.tenantId, vm.instanceUuid);
  if (existing) return existing;
  const console: ConsoleRecord = {
    tenantId: vm.tenantId,
    instanceUuid: vm.instanceUuid,
    consoleId: await store.nextConsoleId(vm.tenantId),
    consoleType: type.name,
    createdAt: isoNow(),
  };
  if (await store.putConsoleIfAbsent(console)) return console;
  // A concurrent create won; its console is the server's console.
  return (await store.getConsole(vm.tenantId, vm.instanceUuid)) ?? console;
}

/** A server's consoles; an unknown or foreign server simply has none (Nova's index never 404s). */
export async function listConsoles(
  session: SessionRecord,
  vm: VmRecord | undefined,
  type: ConsoleTicketType<string>,
): Promise<ConsoleRecord[]> {
  if (!vm) return [];
  requirePrivilege(session, type.privilege, vm);
  const console = await store.getConsole(vm.tenantId, vm.instanceUuid);
  return console ? [console] : [];
}

/**
 * The console with its connection password: a one-time ticket for the server's VNC endpoint, if it is ready,
 * of the type the console was created with. The ticket's issue checks the privilege; a console that is not
 * there is refused with the same 403 to those without it, so its absence is hidden from them too.
 */
export async function showConsole(
  session: SessionRecord,
  vm: VmRecord | undefined,
  consoleId: number,
  type: ConsoleTicketType<string>,
): Promise<{ console: ConsoleRecord; vm: VmRecord; password: string }> {
  if (!vm) throw consoleNotFound(consoleId);
  const console = await store.getConsole(vm.tenantId, vm.instanceUuid);
  if (!console || console.consoleId !== consoleId) {
    requirePrivilege(session, type.privilege, vm);
    throw consoleNotFound(consoleId);
  }
  return { console, vm, password: await issueConsoleTicket(session, vm, { ...type, name: console.consoleType }) };
}

/** Deletes the server's console; the caller needs what creating one needs. */
export async function deleteConsole(
  session: SessionRecord,
  vm: VmRecord | undefined,
  consoleId: number,
  type: ConsoleTicketType<string>,
): Promise<void> {
  if (!vm) throw consoleNotFound(consoleId);
  requirePrivilege(session, type.privilege, vm);
  if (!(await store.deleteConsole(vm.tenantId, vm.instanceUuid, consoleId))) throw consoleNotFound(consoleId);
}
