/**
 * The managed objects a tenant sees over vim25, as vCenter lays them out: a root folder holding the
 * tenant's one datacenter (named after the tenant, so finders' "default datacenter" finds it), its four
 * folders, the VMs in its vmFolder; the service's singletons beside them. Ids are per tenant (every session is
 * scoped to its tenant), so they are fixed. Property values are vim25 data objects (./types.ts).
 */
import type { VmRecord } from '../../records.js';
import { moRef, typed, type MoRef } from './encoding.js';
import { fieldsOf, type FieldType } from './types.js';

export const ROOT_FOLDER = moRef('Folder', 'group-d1');
export const DATACENTER = moRef('Datacenter', 'datacenter-2');
export const VM_FOLDER = moRef('Folder', 'group-v3');
const HOST_FOLDER = moRef('Folder', 'group-h4');
const DATASTORE_FOLDER = moRef('Folder', 'group-s5');
const NETWORK_FOLDER = moRef('Folder', 'group-n6');

export const SINGLETONS = {
  serviceInstance: moRef('ServiceInstance', 'ServiceInstance'),
  propertyCollector: moRef('PropertyCollector', 'propertyCollector'),
  viewManager: moRef('ViewManager', 'ViewManager'),
  sessionManager: moRef('SessionManager', 'SessionManager'),
  searchIndex: moRef('SearchIndex', 'SearchIndex'),
  guestOperationsManager: moRef('GuestOperationsManager', 'guestOperationsManager'),
  processManager: moRef('GuestProcessManager', 'guestOperationsProcessManager'),
};

/** The managed entity types, for specs that name `ManagedEntity` (or `ManagedObject`) for any of them. */
const ENTITY_TYPES = new Set(['Folder', 'Datacenter', 'VirtualMachine']);
export const isA = (type: string, wanted: string): boolean =>
  type === wanted || wanted === 'ManagedObject' || (wanted === 'ManagedEntity' && ENTITY_TYPES.has(type));

/** A VM's objects beneath `config`, `runtime`, `guest` and `summary`. */
export interface VmFacts {
  vm: VmRecord;
  /** Whether its agent (VMware Tools) runs; read only when a property needs it. */
  toolsRunning?: boolean;
}

const toolsRunningStatus = (facts: VmFacts) => (facts.toolsRunning ? 'guestToolsRunning' : 'guestToolsNotRunning');

const GUEST_IDS: Record<VmRecord['guestOsFamily'], [string, string, string]> = {
  linux: ['otherLinux64Guest', 'Other Linux (64-bit)', 'linuxGuest'],
  windows: ['windows9_64Guest', 'Microsoft Windows 10 (64-bit)', 'windowsGuest'],
  solaris: ['solaris11_64Guest', 'Oracle Solaris 11 (64-bit)', 'solarisGuest'],
  other: ['other3xLinux64Guest', 'Other (64-bit)', 'otherGuestFamily'],
};

/** The properties of a VirtualMachine that tools read first. `config.uuid` is the instance UUID too: a VM here has one UUID. */
function vmProperties(facts: VmFacts): Record<string, unknown> {
  const { vm } = facts;
  const [guestId, guestFullName, guestFamily] = GUEST_IDS[vm.guestOsFamily];
  const config = {
    _typeName: 'VirtualMachineConfigInfo',
    changeVersion: vm.updatedAt,
    modified: vm.updatedAt,
    name: vm.name,
    guestFullName,
    version: 'vmx-19',
    uuid: vm.instanceUuid,
    createDate: vm.createdAt ?? vm.updatedAt,
    instanceUuid: vm.instanceUuid,
    template: false,
    guestId,
    files: { _typeName: 'VirtualMachineFileInfo', vmPathName: vm.vmxPath },
    hardware: { _typeName: 'VirtualHardware', numCPU: vm.cpuCount, memoryMB: vm.memorySizeMiB },
  };
  const runtime = { _typeName: 'VirtualMachineRuntimeInfo', connectionState: vm.connectionState, powerState: vm.powerState };
  const ref = moRef('VirtualMachine', vm.moId);
  return {
    name: vm.name,
    parent: VM_FOLDER,
    config,
    runtime,
    guest: { _typeName: 'GuestInfo', toolsRunningStatus: toolsRunningStatus(facts), guestFamily },
    summary: {
      _typeName: 'VirtualMachineSummary',
      vm: ref,
      runtime,
      guest: { _typeName: 'VirtualMachineGuestSummary', toolsRunningStatus: toolsRunningStatus(facts) },
      config: {
        _typeName: 'VirtualMachineConfigSummary',
        name: vm.name,
        template: false,
        vmPathName: vm.vmxPath,
        memorySizeMB: vm.memorySizeMiB,
        numCpu: vm.cpuCount,
        uuid: vm.instanceUuid,
        instanceUuid: vm.instanceUuid,
      },
      quickStats: { _typeName: 'VirtualMachineQuickStats' },
      overallStatus: 'green',
    },
  };
}

/** The XML schema type of each managed object property served. */
const PROPERTY_TYPES: Record<string, Record<string, FieldType>> = {
  Folder: { name: 'xsd:string', parent: 'ManagedObjectReference', childEntity: 'ArrayOfManagedObjectReference', childType: 'ArrayOfString' },
  Datacenter: {
    name: 'xsd:string',
    parent: 'ManagedObjectReference',
    vmFolder: 'ManagedObjectReference',
    hostFolder: 'ManagedObjectReference',
    datastoreFolder: 'ManagedObjectReference',
    networkFolder: 'ManagedObjectReference',
  },
  VirtualMachine: {
    name: 'xsd:string',
    parent: 'ManagedObjectReference',
    config: 'VirtualMachineConfigInfo',
    runtime: 'VirtualMachineRuntimeInfo',
    guest: 'GuestInfo',
    summary: 'VirtualMachineSummary',
  },
  SessionManager: { currentSession: 'UserSession' },
  ServiceInstance: { content: 'ServiceContent' },
  GuestOperationsManager: { processManager: 'ManagedObjectReference' },
  ContainerView: {
    container: 'ManagedObjectReference',
    type: 'ArrayOfString',
    recursive: 'xsd:boolean',
    view: 'ArrayOfManagedObjectReference',
  },
};

/** Whether reading `paths` of a VM needs its tools state (one more read per VM). */
export const needsToolsState = (paths: string[] | 'all'): boolean =>
  paths === 'all' || paths.some((path) => path === 'guest' || path === 'summary' || path.startsWith('guest.') || path.startsWith('summary.guest'));

/** The properties of a folder or the datacenter, by id; `vms`: the tenant's VMs, for the vmFolder's children. */
export function containerProperties(ref: MoRef, tenantName: string, vms: () => MoRef[]): Record<string, unknown> | undefined {
  const folder = (name: string, parent: MoRef, children: MoRef[], childType: string[]) => ({
    name,
    parent,
    childEntity: children,
    childType,
  });
  switch (`${ref.type}:${ref.value}`) {
    case 'Folder:group-d1':
      return { name: 'Datacenters', childEntity: [DATACENTER], childType: ['Folder', 'Datacenter'] };
    case 'Datacenter:datacenter-2':
      return {
        name: tenantName,
        parent: ROOT_FOLDER,
        vmFolder: VM_FOLDER,
        hostFolder: HOST_FOLDER,
        datastoreFolder: DATASTORE_FOLDER,
        networkFolder: NETWORK_FOLDER,
      };
    case 'Folder:group-v3':
      return folder('vm', DATACENTER, vms(), ['Folder', 'VirtualMachine', 'VirtualApp']);
    case 'Folder:group-h4':
      return folder('host', DATACENTER, [], ['Folder', 'ComputeResource']);
    case 'Folder:group-s5':
      return folder('datastore', DATACENTER, [], ['Folder', 'Datastore']);
    case 'Folder:group-n6':
      return folder('network', DATACENTER, [], ['Folder', 'Network']);
    default:
      return undefined;
  }
}

export const vmPropertiesOf = vmProperties;

/**
 * A property by path (`name`, `runtime.powerState`, `summary.config.uuid`) of an object of `type`, typed for
 * a DynamicProperty's `val`; undefined when the object has no such property or it is unset.
 */
export function propertyValue(type: string, properties: Record<string, unknown>, path: string): unknown {
  const [top, ...rest] = path.split('.');
  let fieldType = PROPERTY_TYPES[type]?.[top!];
  let value = properties[top!];
  if (fieldType === undefined || value === undefined) return undefined;
  for (const name of rest) {
    const fields = fieldsOf(fieldType);
    const spec = fields?.find(([field]) => field === name)?.[1];
    if (!spec || value === null || typeof value !== 'object') return undefined;
    fieldType = spec.type;
    value = (value as Record<string, unknown>)[name];
    if (value === undefined) return undefined;
  }
  if (fieldType.startsWith('ArrayOf')) return typed(fieldType, value);
  if (fieldType.startsWith('xsd:')) return typed(fieldType, value);
  if (fieldType.startsWith('enum:')) return typed(fieldType.slice(5), value);
  return value;
}

/** Every top-level property of a type (a PropertySpec with `all`). */
export const propertyNames = (type: string): string[] => Object.keys(PROPERTY_TYPES[type] ?? {});
