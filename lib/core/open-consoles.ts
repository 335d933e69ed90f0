import { logger } from '../log.js';
import type { ConsoleSessionReport, ConsoleTarget, EndOrder, HeartbeatAnswer, Redemption, SessionHeartbeats } from '../protocol/console-proxy.js';
import type { OpenConsoleRecord, SessionRecord, TicketRecord, VmRecord } from '../records.js';
import * as store from '../store/index.js';
import * as Audit from './audit.js';
import { nowSeconds } from './clock.js';
import { consolePolicyOf, registryTtlSeconds } from './console-policy.js';
import { pushOrder } from './console-proxies.js';
import { consoleTargetOf, openConsoleRecord } from './console-targets.js';
import { ConnectionLimitReached, NotFound } from './errors.js';
import * as Recordings from './recordings.js';
import { tenantReadWith } from './sessions.js';
import * as Shadows from './shadows.js';

/**
 * The registry of open consoles, kept from what the proxies report: a redemption opens one (the ticket's
 * user, the browser's address, the proxy instance), heartbeats keep it (and its last input), the end report
 * removes it and writes its audit record. A proxy that dies stops reporting, and its consoles leave the
 * registry three heartbeats later. Ending consoles removes them here and pushes an order to every proxy.
 */

/** The reasons the browser is shown when its console is ended from outside. */
export const EndReasons = {
  administrator: 'The console session was ended by an administrator.',
  userRevoked: 'Your access to this console was revoked.',
  vmDeleted: 'The virtual machine was deleted.',
  tenantDeleted: 'The organization was deleted.',
} as const;

/**
 * Checks the tenant's limits before a console ticket is issued: the VM's open consoles (vSphere's
 * `RemoteDisplay.maxConnections`), and the user's and the tenant's caps where set. The tenant's profile comes
 * with the session (one BatchGetItem); the VM's count is one Query; the caps cost a second (parallel) read
 * only when the operator set them.
 * @returns the session limits and the recording policy (none: not recorded) the ticket carries to the proxy.
 */
export async function admitConsole(session: SessionRecord, vm: VmRecord): Promise<Pick<TicketRecord, 'sessionLimits' | 'recording'>> {
  const known = tenantReadWith(session);
  const [tenant, onVm] = await Promise.all([
    known?.tenantId === vm.tenantId ? known : store.getTenant(vm.tenantId),
    store.countOpenConsolesOfVm(vm.tenantId, vm.moId),
  ]);
  const policy = consolePolicyOf(tenant);
  const object = { type: 'VirtualMachine', id: vm.moId };
  if (onVm >= policy.connectionLimitPerVm) {
    throw ConnectionLimitReached(`Virtual machine ${vm.moId} already has ${onVm} open consoles; its limit is ${policy.connectionLimitPerVm}.`, {
      connectionLimit: policy.connectionLimitPerVm,
      object,
    });
  }
  const { connectionLimitPerUser: perUser, connectionLimitPerTenant: perTenant } = policy;
  const [ofUser, ofTenant] = await Promise.all([
    perUser === undefined ? 0 : store.countOpenConsolesOfUser(vm.tenantId, session.userName),
    perTenant === undefined ? 0 : store.countOpenConsolesOfTenant(vm.tenantId),
  ]);
  if (perUser !== undefined && ofUser >= perUser) {
    throw ConnectionLimitReached(`User ${session.userName} already has ${ofUser} open consoles; the limit is ${perUser}.`, { connectionLimit: perUser, object });
  }
  if (perTenant !== undefined && ofTenant >= perTenant) {
    throw ConnectionLimitReached(`The organization already has ${ofTenant} open consoles; its limit is ${perTenant}.`, { connectionLimit: perTenant, object });
  }
  const recording = Recordings.recordingPolicyOf(tenant, vm);
  return { sessionLimits: { idleTimeoutSeconds: policy.idleTimeoutSeconds, maxDurationSeconds: policy.maxDurationSeconds }, ...(recording ? { recording } : {}) };
}

/** A redeemed ticket becomes an open console in the registry; its target carries the session's policy to the proxy. */
export async function openConsole(ticket: TicketRecord, from: Omit<Redemption, 'ticket'>): Promise<ConsoleTarget> {
  if (ticket.shadowOf) return Shadows.openShadow({ ...ticket, shadowOf: ticket.shadowOf }, from);
  const record = openConsoleRecord(ticket, from);
  // A recorded console: its manifest and "recording started" go with the registry item, in one round trip.
  const recording = ticket.recording ? Recordings.startRecording(record, ticket.recording) : undefined;
  if (recording) await store.putOpenConsoleWithRecording(record, recording.manifest, recording.started);
  else await store.putOpenConsole(record);
  logger.info('console session opened', { tenant: record.tenantId, vm: record.vmMoId, user: record.userName, session: record.sessionId, ...(recording ? { recording: recording.grant.recordingId } : {}) });
  return {
    ...consoleTargetOf(ticket, record),
    ...(recording ? { recording: recording.grant } : {}),
  };
}

/**
 * A proxy's heartbeat: each console it still bridges is kept. @returns those the registry no longer holds,
 * and the watchers of those that are (or were, till now) watched by a shadow.
 */
export async function recordHeartbeats({ sessions }: SessionHeartbeats): Promise<HeartbeatAnswer> {
  const expiresAt = nowSeconds() + registryTtlSeconds();
  const ended: string[] = [];
  const kept: OpenConsoleRecord[] = [];
  for (let start = 0; start < sessions.length; start += 25) {
    await Promise.all(
      sessions.slice(start, start + 25).map(async (open) => {
        const touched = await store.touchOpenConsole(open.tenantId, open.vmMoId, open.sessionId, open.lastInputAt, expiresAt);
        if (touched) kept.push(touched);
        else ended.push(open.sessionId);
      }),
    );
  }
  // Shadows and watched consoles only: an ordinary console costs its UpdateItem and nothing more.
  const [orphans, watched] = await Promise.all([Shadows.orphanedShadows(kept), Shadows.watchersOfReported(kept)]);
  ended.push(...orphans);
  return { ended, ...(watched.length > 0 ? { watched } : {}) };
}

/**
 * A console ended at its proxy: it leaves the registry, and its audit record (start, end, reason) is written.
 * A watched console's shadows end with it; a shadow's end is audited and its watched console's page told.
 */
export async function closeConsole(report: ConsoleSessionReport): Promise<void> {
  await Audit.recordConsoleSession(report);
  const { recording } = report;
  const [removed] = await Promise.all([
    store.deleteOpenConsole(report.tenantId, report.vmMoId, report.sessionId),
    recording && Recordings.endRecording({ ...report, recording }),
  ]);
  if (removed) await Shadows.consolesEnded([removed], report.endReason);
}

export type ConsoleScope = { tenantId: string; vmMoId?: string; userName?: string };

/** A page of the open consoles of a tenant, of one of its VMs or of one of its users. */
export function listOpenConsoles(scope: ConsoleScope, page: store.PageRequest): Promise<store.Page<OpenConsoleRecord>> {
  if (scope.vmMoId !== undefined) return store.pageOpenConsolesOfVm(scope.tenantId, scope.vmMoId, page);
  if (scope.userName !== undefined) return store.pageOpenConsolesOfUser(scope.tenantId, scope.userName, page);
  return store.pageOpenConsolesOfTenant(scope.tenantId, page);
}

/** A VM's open consoles, all of them (bounded by its limit): vim25's QueryConnections. */
export const openConsolesOfVm = (tenantId: string, moId: string): Promise<OpenConsoleRecord[]> => store.openConsolesOfVm(tenantId, moId);

/** Ends the given consoles: out of the registry, and an order to every proxy naming them. */
async function endListed(consoles: OpenConsoleRecord[], order: EndOrder): Promise<OpenConsoleRecord[]> {
  // The order goes out before the entries go: a heartbeat answered in between would close the consoles
  // without the order's reason ("ended", not why).
  await pushOrder(order);
  await store.deleteOpenConsoles(consoles);
  await Shadows.consolesEnded(consoles, order.reason);
  return consoles;
}

/** Ends one console of the tenant by its id. */
export async function endConsole(tenantId: string, sessionId: string, reason: string = EndReasons.administrator): Promise<OpenConsoleRecord> {
  const open = await store.findOpenConsole(tenantId, sessionId);
  if (!open) throw NotFound(`Console session ${sessionId} is not open.`, { object: { type: 'ConsoleSession', id: sessionId } });
  await endListed([open], { type: 'end', tenantId, sessionIds: [sessionId], reason });
  return open;
}

/** Ends the named consoles of a VM (vim25's DropConnections): @returns those that were open. */
export async function endConsolesOfVmNamed(tenantId: string, moId: string, sessionIds: string[], reason: string = EndReasons.administrator) {
  const named = new Set(sessionIds);
  const open = (await store.openConsolesOfVm(tenantId, moId)).filter((console) => named.has(console.sessionId));
  if (open.length === 0) return open;
  return endListed(open, { type: 'end', tenantId, vmMoId: moId, sessionIds: open.map((console) => console.sessionId), reason });
}

/**
 * Ends every console of a VM, of a user or of a whole tenant. The order names the scope, not the sessions:
 * a console being opened right now (redeemed, not yet bridged) is matched by its proxy too. `known`: the
 * scope's consoles read beforehand (a deleted VM's, whose registry partition went with it).
 */
export async function endConsolesOf(scope: ConsoleScope, reason: string, known?: OpenConsoleRecord[]): Promise<OpenConsoleRecord[]> {
  const { tenantId, vmMoId, userName } = scope;
  const open =
    known ??
    (vmMoId !== undefined
      ? await store.openConsolesOfVm(tenantId, vmMoId)
      : userName !== undefined
        ? await store.openConsolesOfUser(tenantId, userName)
        : await store.openConsolesOfTenant(tenantId));
  const order: EndOrder = { type: 'end', tenantId, ...(vmMoId ? { vmMoId } : {}), ...(userName ? { userName } : {}), reason };
  return endListed(open, order);
}
