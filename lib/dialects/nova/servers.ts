import { NotFound } from '../../core/errors.js';
import { atLeast, type Microversion } from './microversions.js';
import type { VmRecord } from '../../core/model.js';
import type { HttpEvent } from '../../http/types.js';
import { computeRoot, computeV21 } from './links.js';

/** Nova's not-found for a server; an absent and another tenant's server are indistinguishable. */
export function requireServer(vm: VmRecord | undefined, serverId: string): VmRecord {
  if (!vm) throw NotFound(`Instance ${serverId} could not be found.`);
  return vm;
}

/** Nova's status, vm_state and power_state (nova/compute/power_state.py) for a vSphere power state. */
const STATES = {
  poweredOn: { status: 'ACTIVE', vmState: 'active', powerState: 1 },
  poweredOff: { status: 'SHUTOFF', vmState: 'stopped', powerState: 4 },
  suspended: { status: 'SUSPENDED', vmState: 'suspended', powerState: 7 },
} as const;

const links = (event: HttpEvent, vm: VmRecord) => [
  { rel: 'self', href: `${computeV21(event)}/servers/${vm.instanceUuid}` },
  { rel: 'bookmark', href: `${computeRoot(event)}/servers/${vm.instanceUuid}` },
];

/** Nova writes times without fractions: `2013-09-03T04:01:32Z`. */
const novaTime = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

/** `GET /servers` entries: id, links and name, as Nova's summary view. */
export const serverSummary = (event: HttpEvent, vm: VmRecord) => ({ id: vm.instanceUuid, links: links(event, vm), name: vm.name });

/**
 * A flavor the inventory does not know, in the shape of the microversion: a reference before 2.47, the
 * embedded flavor from 2.47 on. Clients read `flavor.id` or `flavor.original_name` unconditionally.
 */
const unknownFlavor = (version: Microversion) =>
  atLeast(version, 2, 47)
    ? { original_name: '', vcpus: 0, ram: 0, disk: 0, ephemeral: 0, swap: 0 }
    : { id: '', links: [] };

/**
 * `GET /servers/{id}` and `/servers/detail` entries: the fields the inventory can answer truthfully. What it
 * does not know is empty rather than invented, in the forms Nova itself uses for "none": `image` is `""`
 * (as for a server booted from a volume), `flavor` an empty flavor, `addresses` `{}`.
 */
export function serverDetail(event: HttpEvent, vm: VmRecord, version: Microversion) {
  const state = STATES[vm.powerState];
  return {
    id: vm.instanceUuid,
    name: vm.name,
    status: state.status,
    tenant_id: vm.tenantId,
    updated: novaTime(vm.updatedAt),
    image: '',
    flavor: unknownFlavor(version),
    addresses: {},
    metadata: {},
    links: links(event, vm),
    'OS-EXT-STS:vm_state': state.vmState,
    'OS-EXT-STS:power_state': state.powerState,
    'OS-EXT-STS:task_state': null,
  };
}

/**
 * Nova's `name` filter is a regular expression searched in the name. Client-supplied patterns are not
 * evaluated here (catastrophic backtracking in a Lambda); the filter is a literal substring match, which
 * returns a superset for the exact names clients look up and then match themselves.
 */
export const matchesNameFilter = (vm: VmRecord, name: string | undefined): boolean =>
  name === undefined || vm.name.includes(name);
