import * as z from 'zod';
import { InvalidArgument, UnableToAllocateResource } from '../../core/errors.js';
import type { ToolsStatus } from '../../core/guest/tools.js';
import type { VmSelection } from '../../core/inventory.js';
import type { VmRecord } from '../../records.js';
import { queryPairs } from '../../http/query.js';
import type { HttpEvent } from '../../http/types.js';

/**
 * The read-only VM inventory of vCenter's REST API (vcenter.VM list and get, vcenter.vm.Power.get,
 * vcenter.vm.Tools.get), in the `/api` shapes; `/rest` wraps each in `{"value": ...}`.
 */
const POWER_STATES = { poweredOn: 'POWERED_ON', poweredOff: 'POWERED_OFF', suspended: 'SUSPENDED' } as const;
const VAPI_POWER_STATES: readonly string[] = Object.values(POWER_STATES);

/** The generic vcenter.vm.GuestOS of each guest family: the inventory records the family only. */
const GUEST_OS = { linux: 'OTHER_LINUX_64', windows: 'WINDOWS_9_64', solaris: 'SOLARIS_11_64', other: 'OTHER_64' } as const;

/** vCenter refuses a list that would return more than this many VMs (unable_to_allocate_resource). */
export const MAX_LISTED_VMS = 4000;

/** The input of an operation on one VM: its moId in the path. */
export const VmPathInput = z.object({ path: z.object({ vm: z.string() }) });

/** cpu_count and memory_size_MiB are unset where the configuration is not known, as vCenter leaves them. */
const hardware = (vm: VmRecord) => ({
  ...(vm.cpuCount === undefined ? {} : { cpu_count: vm.cpuCount }),
  ...(vm.memorySizeMiB === undefined ? {} : { memory_size_MiB: vm.memorySizeMiB }),
});

/** `vcenter.VM.Summary`. */
export const vmSummary = (vm: VmRecord) => ({ vm: vm.moId, name: vm.name, power_state: POWER_STATES[vm.powerState], ...hardware(vm) });

/**
 * The part of `vcenter.VM.Info` the inventory knows. It records no virtual NICs or disks: `nics` and `disks`
 * are empty maps, which `/api` writes as objects and `/rest` as lists of `{key, value}` entries.
 */
export const vmInfo = (vm: VmRecord, form: 'api' | 'rest') => ({
  name: vm.name,
  power_state: POWER_STATES[vm.powerState],
  guest_OS: GUEST_OS[vm.guestOsFamily],
  identity: { name: vm.name, instance_uuid: vm.instanceUuid },
  ...(vm.cpuCount === undefined ? {} : { cpu: { count: vm.cpuCount } }),
  ...(vm.memorySizeMiB === undefined ? {} : { memory: { size_MiB: vm.memorySizeMiB } }),
  nics: form === 'api' ? {} : [],
  disks: form === 'api' ? {} : [],
});

/** `vcenter.vm.Power.Info`. */
export const powerInfo = (vm: VmRecord) => ({ state: POWER_STATES[vm.powerState] });

/**
 * `vcenter.vm.Tools.Info`: the guest agent is this service's VMware Tools; it never updates itself. `version`
 * is the version it reported; `version_number` encodes it as VMware Tools does (major × 1024 + minor × 32 +
 * patch: 10.3.10 is 10346), for a version of that form only.
 */
export const toolsInfo = (status: ToolsStatus) => {
  const versionNumber = status.agentVersion === undefined ? undefined : toolsVersionNumber(status.agentVersion);
  return {
    auto_update_supported: false,
    upgrade_policy: 'MANUAL',
    run_state: status.running ? 'RUNNING' : 'NOT_RUNNING',
    ...(status.agentVersion === undefined ? {} : { version: status.agentVersion }),
    ...(versionNumber === undefined ? {} : { version_number: versionNumber }),
  };
};

function toolsVersionNumber(version: string): number | undefined {
  const match = /^(\d{1,5})\.(\d{1,2})\.(\d{1,2})$/.exec(version);
  if (!match) return undefined;
  const [major, minor, patch] = match.slice(1).map(Number) as [number, number, number];
  return minor < 32 && patch < 32 ? major * 1024 + minor * 32 + patch : undefined;
}

/** `vcenter.VM.FilterSpec`: each set given must contain the VM's value; an absent set matches every VM. */
export interface VmFilter {
  names?: Set<string>;
  vms?: Set<string>;
  power_states?: Set<string>;
  /** folders, datacenters, hosts, clusters, resource_pools: no such objects exist here, so no VM is in one. */
  placement?: true;
}

const FILTER_SETS = ['names', 'vms', 'power_states'] as const;
const PLACEMENT_SETS = ['folders', 'datacenters', 'hosts', 'clusters', 'resource_pools'];

/**
 * The list's filter from the query: `/api` names the sets bare (`names`), `/rest` as `filter.names`, also
 * numbered (`filter.names.1`). Other parameters are ignored.
 */
export function vmFilterOf(event: HttpEvent, form: 'api' | 'rest'): VmFilter {
  const filter: VmFilter = {};
  for (const [key, value] of queryPairs(event)) {
    const name = form === 'api' ? key : /^filter\.([a-z_]+)(?:\.\d+)?$/.exec(key)?.[1];
    if (!name) continue;
    if (PLACEMENT_SETS.includes(name)) filter.placement = true;
    if (!(FILTER_SETS as readonly string[]).includes(name)) continue;
    const set = name as (typeof FILTER_SETS)[number];
    if (set === 'power_states' && !VAPI_POWER_STATES.includes(value)) {
      throw InvalidArgument(`Invalid value for ${key}: expected one of ${VAPI_POWER_STATES.join(', ')}, received '${value}'.`, { field: key });
    }
    (filter[set] ??= new Set()).add(value);
  }
  return filter;
}

export const matchesFilter = (vm: VmRecord, filter: VmFilter): boolean =>
  !filter.placement &&
  (!filter.names || filter.names.has(vm.name)) &&
  (!filter.vms || filter.vms.has(vm.moId)) &&
  (!filter.power_states || filter.power_states.has(POWER_STATES[vm.powerState]));

/**
 * What the list reads for a filter (never the whole inventory): the VMs of `vms` by key, else those of `names`
 * by the name index, else the tenant's VMs up to the bound. A placement filter matches no VM: nothing to read.
 */
export const selectionOf = (filter: VmFilter): VmSelection =>
  filter.placement ? { moIds: [] } : { ...(filter.vms ? { moIds: filter.vms } : {}), ...(filter.names ? { names: filter.names } : {}) };

const tooMany = () => UnableToAllocateResource(`More than ${MAX_LISTED_VMS} virtual machines match the filter; narrow it.`);

/**
 * The filtered list's summaries, or vCenter's refusal of a list longer than it returns. The read stops at
 * `MAX_LISTED_VMS` + 1 VMs: a selection that reached it is refused too, since a filter on power states alone
 * cannot narrow what is read.
 */
export function listedVms(selected: { vms: VmRecord[]; complete: boolean }, filter: VmFilter) {
  if (!selected.complete) throw tooMany();
  const matching = selected.vms.filter((vm) => matchesFilter(vm, filter));
  if (matching.length > MAX_LISTED_VMS) throw tooMany();
  return matching.sort((a, b) => a.moId.localeCompare(b.moId)).map(vmSummary);
}
