import { endConsolesOf, EndReasons } from './open-consoles.js';
import * as store from '../store/index.js';
import { isoNow } from './clock.js';
import { AlreadyExists, InvalidArgument, NotFound, ResourceInaccessible } from './errors.js';
import type { VmSpec } from './model.js';
import { requireLiveTenant } from './tenants.js';
import type { VmRecord } from '../records.js';

/** The error for a VM that is absent or belongs to someone else: the two must be indistinguishable. */
export const vmNotFound = (moId: string) =>
  NotFound(`Virtual machine ${moId} was not found.`, { object: { type: 'VirtualMachine', id: moId } });

/**
 * vCenter answers `resource_inaccessible` for a VM that is disconnected, orphaned, inaccessible or invalid
 * when a request needs its configuration or execution state (a console, its power or tools state).
 */
export function requireStateReadable(vm: VmRecord): void {
  if (vm.connectionState === 'connected') return;
  throw ResourceInaccessible(
    `Virtual machine ${vm.moId} is ${vm.connectionState}; its configuration or execution state cannot be read.`,
    { object: { type: 'VirtualMachine', id: vm.moId }, state: vm.connectionState },
  );
}

/** The VM a read of its power or tools state names: the tenant's own (else not found), its state readable. */
export function requireVmState(vm: VmRecord | undefined, requestedMoId: string): VmRecord {
  if (!vm) throw vmNotFound(requestedMoId);
  requireStateReadable(vm);
  return vm;
}

/**
 * Creates or replaces a VM's record. Replacing it with another instance UUID puts another machine in its
 * place: everything bound to the old one goes (tickets, agent enrolment, guest state). Moving its console
 * (another VNC endpoint) revokes its tickets: they must not open what is there now.
 */
export async function putVm(tenantId: string, moId: string, spec: VmSpec): Promise<VmRecord> {
  await requireLiveTenant(tenantId);
  const [existing, previous] = await Promise.all([store.getVmByUuid(tenantId, spec.instanceUuid), store.getVm(tenantId, moId)]);
  if (existing && existing.moId !== moId) {
    throw AlreadyExists(`Instance UUID ${spec.instanceUuid} already belongs to ${existing.moId}.`, {
      field: 'instanceUuid',
    });
  }
  const now = isoNow();
  const sameMachine = previous?.instanceUuid === spec.instanceUuid;
  // Records written before createdAt existed take their last update as the best known creation time.
  const createdAt = sameMachine ? previous.createdAt ?? previous.updatedAt : now;
  const vm: VmRecord = { ...spec, tenantId, moId, createdAt, updatedAt: now };
  const revoke = previous && revocationFor(previous, vm);
  // Before the put, so a failed revocation leaves the old record for a retry to see; after it again, for a
  // ticket issued from the old record in between.
  await revoke?.();
  await store.putVm(vm);
  await revoke?.();
  return vm;
}

function revocationFor(before: VmRecord, after: VmRecord): (() => Promise<void>) | undefined {
  const { tenantId, moId } = before;
  if (before.instanceUuid !== after.instanceUuid) return () => store.forgetVm(tenantId, moId, before.instanceUuid);
  if (before.vnc.host !== after.vnc.host || before.vnc.port !== after.vnc.port) {
    return () => store.deleteTicketsOf(tenantId, moId);
  }
  return undefined;
}

export async function getVm(tenantId: string, moId: string): Promise<VmRecord> {
  const vm = await store.getVm(tenantId, moId);
  if (!vm) throw vmNotFound(moId);
  return vm;
}

export async function getVmByUuid(tenantId: string, instanceUuid: string): Promise<VmRecord> {
  const vm = await store.getVmByUuid(tenantId, instanceUuid);
  if (!vm) throw vmNotFound(instanceUuid);
  return vm;
}

/** A page of the tenant's VMs in moId order, after the VM `page.after`. */
export const listVms = (tenantId: string, page: store.PageRequest): Promise<store.Page<VmRecord>> => store.listVms(tenantId, page);

/** Which VMs a server list selects by name: exactly one name (an index lookup), or names containing a text. */
export type NameSelection = { exact: string } | { containing: string };

export interface ServerListQuery {
  limit: number;
  /** The instance UUID of the server the page starts after: any server of the tenant. */
  marker?: string;
  name?: NameSelection;
}

export interface ServerPage {
  vms: VmRecord[];
  /** The last VM the page read, matching or not: where the next page starts. */
  lastRead?: VmRecord;
  /** Whether VMs follow the last one read. */
  more: boolean;
}

/**
 * A page of the tenant's servers in moId order, after the marker. An exact name reads one gsi2 partition (one
 * query); a `containing` selection reads at most `limit` VMs of the tenant partition and keeps those that
 * match, so its page may hold fewer than `limit` servers while more follow (`more`). Unknown marker: Nova's
 * 400 `marker [<id>] not found`.
 */
export async function listServers(tenantId: string, query: ServerListQuery): Promise<ServerPage> {
  // Nova answers an empty page for limit 0 without reading anything, the marker included.
  if (query.limit === 0) return { vms: [], more: false };
  const after = query.marker === undefined ? undefined : await markerMoId(tenantId, query.marker);
  const page = { limit: query.limit, after };
  const name = query.name;
  if (name && 'exact' in name) {
    const found = await store.findVmsByName(tenantId, name.exact, page);
    return { vms: found.items, lastRead: found.items.at(-1), more: found.more };
  }
  const read = await store.listVms(tenantId, page);
  const vms = name ? read.items.filter((vm) => vm.name.includes(name.containing)) : read.items;
  return { vms, lastRead: read.items.at(-1), more: read.more };
}

async function markerMoId(tenantId: string, marker: string): Promise<string> {
  const vm = await store.getVmByUuid(tenantId, marker);
  if (!vm) throw InvalidArgument(`marker [${marker}] not found`, { field: 'marker' });
  return vm.moId;
}

/** What a vCenter VM list reads: VMs by moId, else by exact name, else the tenant's VMs in moId order. */
export interface VmSelection {
  moIds?: Iterable<string>;
  names?: Iterable<string>;
}

/** The most names one VM list may filter by. */
export const MAX_NAMES = 200;

/**
 * The VMs a selection names, reading at most `max` + 1 of them: `complete` is false when more than `max`
 * would have to be read (vCenter refuses such a list). Filters beyond the selection apply to what is read.
 */
export async function selectVms(tenantId: string, selection: VmSelection, max: number): Promise<{ vms: VmRecord[]; complete: boolean }> {
  if (selection.moIds) {
    const moIds = [...selection.moIds];
    if (moIds.length > max) return { vms: [], complete: false };
    return { vms: await store.getVms(tenantId, moIds), complete: true };
  }
  if (selection.names) {
    const names = new Set(selection.names);
    // One index query per name: a bound keeps a request of thousands of names inside the request's time.
    if (names.size > MAX_NAMES) throw InvalidArgument(`At most ${MAX_NAMES} names may be given.`, { field: 'names' });
    const vms: VmRecord[] = [];
    for (const name of names) {
      const found = await store.findVmsByName(tenantId, name, { limit: max - vms.length });
      vms.push(...found.items);
      if (found.more) return { vms, complete: false };
    }
    return { vms, complete: true };
  }
  const read = await store.listVms(tenantId, { limit: max });
  return { vms: read.items, complete: !read.more };
}

/** Deletes a VM's record and everything bound to it: tickets, agent enrolment, guest state. */
export async function deleteVm(tenantId: string, moId: string): Promise<void> {
  // Its open consoles are ended before its partition (and their registry entries with it) goes: a heartbeat
  // answered in between would close them without saying why.
  // (For a VM that does not exist this pushes an order that matches nothing, then answers 404.)
  await endConsolesOf({ tenantId, vmMoId: moId }, EndReasons.vmDeleted);
  if (!(await store.deleteVm(tenantId, moId))) throw vmNotFound(moId);
}
