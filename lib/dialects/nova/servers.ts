import { createHash } from 'node:crypto';
import { NotFound } from '../../core/errors.js';
import { atLeast, type Microversion } from './microversions.js';
import type { HttpEvent } from '../../http/types.js';
import { computeRoot, computeV21 } from './links.js';
import type { VmRecord } from '../../records.js';

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
 * The flavor in the shape of the microversion: a reference before 2.47 (no flavor id exists here: `""`), the
 * embedded flavor from 2.47 on, with the VM's virtual hardware where the inventory knows it. Clients read
 * `flavor.id` or `flavor.original_name` unconditionally.
 */
const flavorOf = (vm: VmRecord, version: Microversion) =>
  atLeast(version, 2, 47)
    ? { original_name: '', vcpus: vm.cpuCount ?? 0, ram: vm.memorySizeMiB ?? 0, disk: 0, ephemeral: 0, swap: 0 }
    : { id: '', links: [] };

/** Nova's hostId (utils.generate_hostid): SHA-224 of project and host, so a tenant can tell co-located servers apart. */
const hostIdOf = (vm: VmRecord) => createHash('sha224').update(`${vm.tenantId}${vm.host.address}`).digest('hex');

/** Nova's hostname from a display name (utils.sanitize_hostname), shown to everyone from 2.90. */
const hostnameOf = (name: string) =>
  name
    .toLowerCase()
    .replace(/[ _]/g, '-')
    .replace(/[^\w.-]+/g, '')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 63) || 'server';

/**
 * `GET /servers/{id}` and `/servers/detail` entries (views/servers.py: show) as a project member sees them —
 * no admin-only extended attributes or host_status — with every field Nova always returns at the
 * microversion. What the inventory does not know is given in the forms Nova itself uses for "none": `image`
 * `""` (as for a server booted from a volume), `addresses` `{}`, `user_id` `""` (no owner is recorded),
 * `key_name` null, no launch time. `server_groups` is in the single-server view only, as in Nova.
 */
export function serverDetail(event: HttpEvent, vm: VmRecord, version: Microversion, view: 'show' | 'detail' = 'show') {
  const state = STATES[vm.powerState];
  const at = (major: number, minor: number) => atLeast(version, major, minor);
  return {
    accessIPv4: '',
    accessIPv6: '',
    addresses: {},
    created: novaTime(vm.createdAt ?? vm.updatedAt),
    flavor: flavorOf(vm, version),
    hostId: hostIdOf(vm),
    id: vm.instanceUuid,
    image: '',
    links: links(event, vm),
    metadata: {},
    name: vm.name,
    status: state.status,
    tenant_id: vm.tenantId,
    user_id: '',
    updated: novaTime(vm.updatedAt),
    'OS-DCF:diskConfig': 'MANUAL',
    ...(state.status === 'ACTIVE' ? { progress: 0 } : {}),
    'OS-EXT-AZ:availability_zone': 'nova',
    config_drive: '',
    key_name: null,
    'OS-SRV-USG:launched_at': null,
    'OS-SRV-USG:terminated_at': null,
    'OS-EXT-STS:task_state': null,
    'OS-EXT-STS:vm_state': state.vmState,
    'OS-EXT-STS:power_state': state.powerState,
    'os-extended-volumes:volumes_attached': [],
    ...(at(2, 9) ? { locked: false } : {}),
    ...(at(2, 19) ? { description: null } : {}),
    ...(at(2, 26) ? { tags: [] } : {}),
    ...(at(2, 63) ? { trusted_image_certificates: null } : {}),
    ...(at(2, 71) && view === 'show' ? { server_groups: [] } : {}),
    ...(at(2, 73) ? { locked_reason: null } : {}),
    ...(at(2, 90) ? { 'OS-EXT-SRV-ATTR:hostname': hostnameOf(vm.name) } : {}),
    ...(at(2, 96) ? { pinned_availability_zone: null } : {}),
  };
}
