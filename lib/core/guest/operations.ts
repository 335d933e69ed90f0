import type { GuestCredentials, ProgramSpec } from '../../protocol/agent.js';
import * as store from '../../store/index.js';
import { Internal, InvalidArgument, NotAllowedInCurrentState } from '../errors.js';
import type { GuestAuthRecord, GuestProcessRecord, LoginFailuresRecord, SessionRecord, VmRecord } from '../../records.js';
import type { Privilege } from '../privileges.js';
import { requirePrivilege } from '../access.js';
import { authenticateGuest, rememberGuestAuth, runCheckingCredentials } from './credentials.js';
import { userNameHashOf } from './guest-user.js';
import { processNotFound } from './refusals.js';
import { requireToolsRunning, type RunningAgent } from './tools.js';

/**
 * The vSphere guest operations (vcenter.vm.guest.Processes). The API never touches the guest: each
 * operation is run by the VM's own agent (agent/), which checks the guest credentials.
 */

export interface CreateProcessOptions {
  startMinimized?: boolean;
}

/** vcenter.vm.guest.Processes.create: starts a program in the guest and returns its real pid. */
export async function createProcess(
  session: SessionRecord,
  vm: VmRecord,
  credentials: GuestCredentials,
  spec: ProgramSpec,
  options: CreateProcessOptions = {},
): Promise<number> {
  const { agent, auth, failures } = await guestReady(session, vm, 'VirtualMachine.GuestOperations.Execute', credentials, () => {
    if (options.startMinimized && vm.guestOsFamily !== 'windows') {
      throw InvalidArgument('start_minimized is only supported for Windows guests.', { field: 'spec.start_minimized' });
    }
  });
  const result = await runCheckingCredentials(agent, failures, { operation: 'start', credentials, spec });
  if (result.pid === undefined) throw Internal('The agent reported a start without a pid.');
  await rememberGuestAuth(agent, credentials, auth);
  return result.pid;
}

/**
 * vcenter.vm.guest.Processes.list: the processes started through the API, finished ones for 5 minutes.
 * With credentials the agent accepted lately: the session read, one BatchGetItem and one Query.
 */
export async function listProcesses(
  session: SessionRecord,
  vm: VmRecord,
  credentials: GuestCredentials,
): Promise<GuestProcessRecord[]> {
  checkGuestRequest(session, vm, 'VirtualMachine.GuestOperations.Query');
  const { agent, auth, failures } = await store.getGuestState(vm.tenantId, vm.moId, userNameHashOf(credentials));
  await authenticateGuest(requireToolsRunning(vm, agent), auth, failures, credentials);
  const processes = await store.listProcesses(vm.tenantId, vm.moId);
  return processes.sort((a, b) => a.started.localeCompare(b.started) || a.pid - b.pid);
}

/**
 * vcenter.vm.guest.Processes.get. With credentials the agent accepted lately, two round trips in all: the
 * session and VM, then the agent, the verifier and the process in one BatchGetItem.
 */
export async function getProcess(
  session: SessionRecord,
  vm: VmRecord,
  credentials: GuestCredentials,
  pid: number,
): Promise<GuestProcessRecord> {
  checkGuestRequest(session, vm, 'VirtualMachine.GuestOperations.Query');
  const state = await store.getGuestState(vm.tenantId, vm.moId, userNameHashOf(credentials), pid);
  const askedAgent = await authenticateGuest(requireToolsRunning(vm, state.agent), state.auth, state.failures, credentials);
  // After a round trip through the agent the process may have moved on: read it again.
  const process = askedAgent ? await store.getProcess(vm.tenantId, vm.moId, pid) : state.process;
  if (!process) throw processNotFound(pid);
  return process;
}

/** vcenter.vm.guest.Processes.delete: SIGTERM, then SIGKILL if the process does not end. */
export async function terminateProcess(
  session: SessionRecord,
  vm: VmRecord,
  credentials: GuestCredentials,
  pid: number,
): Promise<void> {
  const { agent, auth, failures } = await guestReady(session, vm, 'VirtualMachine.GuestOperations.Execute', credentials);
  await runCheckingCredentials(agent, failures, { operation: 'terminate', credentials, pid });
  await rememberGuestAuth(agent, credentials, auth);
}

/** The checks every guest operation makes before the tools, in vSphere's order: privilege, request, power state. */
function checkGuestRequest(session: SessionRecord, vm: VmRecord, privilege: Privilege, validateRequest?: () => void): void {
  requirePrivilege(session, privilege, vm);
  validateRequest?.();
  if (vm.powerState !== 'poweredOn') {
    throw NotAllowedInCurrentState(`Virtual machine ${vm.moId} is not running.`, { state: vm.powerState });
  }
}

/** The request checks, then the VM's agent, enrolled and heartbeating, and the guest user's recent failures. */
async function guestReady(
  session: SessionRecord,
  vm: VmRecord,
  privilege: Privilege,
  credentials: GuestCredentials,
  validateRequest?: () => void,
): Promise<{ agent: RunningAgent; auth?: GuestAuthRecord; failures?: LoginFailuresRecord }> {
  checkGuestRequest(session, vm, privilege, validateRequest);
  const { agent, auth, failures } = await store.getGuestState(vm.tenantId, vm.moId, userNameHashOf(credentials));
  return { agent: requireToolsRunning(vm, agent), auth, failures };
}
