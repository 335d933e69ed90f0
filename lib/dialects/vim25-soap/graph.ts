/**
 * A tenant's vim25 inventory as the PropertyCollector walks it: managed objects by reference, their
 * properties, and container views. Read lazily, once per request: the VM list only when a folder's children
 * or a view needs it, a VM by id otherwise, a VM's tools state only when a property asked needs it.
 */
import * as Inventory from '../../core/inventory.js';
import { toolsStatus } from '../../core/guest/tools.js';
import { NotFound } from '../../core/errors.js';
import type { VmRecord } from '../../records.js';
import { moRef, type MoRef } from './encoding.js';
import { serviceContent } from './service-content.js';
import { containerProperties, DATACENTER, isA, needsToolsState, ROOT_FOLDER, SINGLETONS, VM_FOLDER, vmPropertiesOf } from './inventory.js';

/** The most VMs a view or folder lists (vCenter's own inventory limits are of this order). */
export const MAX_VIEW_VMS = 20_000;
const LIST_PAGE = 1000;
const TOOLS_READS_IN_FLIGHT = 16;

export interface ContainerViewSpec {
  container: MoRef;
  type: string[];
  recursive: boolean;
}

/** A container view is stateless: its reference carries its spec (the session scopes what it shows). */
export const containerViewRef = (spec: ContainerViewSpec): MoRef =>
  moRef('ContainerView', `session[${Buffer.from(JSON.stringify([spec.container.type, spec.container.value, spec.type, spec.recursive])).toString('base64url')}]`);

export function containerViewSpec(ref: MoRef): ContainerViewSpec | undefined {
  const encoded = /^session\[([A-Za-z0-9_-]{1,4096})\]$/.exec(ref.value)?.[1];
  if (ref.type !== 'ContainerView' || !encoded) return undefined;
  try {
    const [type, value, types, recursive] = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    if (typeof type !== 'string' || typeof value !== 'string' || typeof recursive !== 'boolean') return undefined;
    if (!Array.isArray(types) || !types.every((item) => typeof item === 'string')) return undefined;
    return { container: moRef(type, value), type: types, recursive };
  } catch {
    return undefined;
  }
}

export const objectNotFound = (ref: MoRef) =>
  NotFound(`The object ${ref.type}:${ref.value} was not found.`, { object: { type: ref.type, id: ref.value } });

export class TenantGraph {
  private vmList?: Promise<VmRecord[]>;
  private readonly vmsById = new Map<string, Promise<VmRecord | undefined>>();

  /** `currentSession`: the caller's UserSession, for the SessionManager's property of that name. */
  constructor(
    readonly tenantId: string,
    private readonly currentSession?: () => unknown,
  ) {}

  /** The tenant's VMs in moId order (at most MAX_VIEW_VMS). */
  vms(): Promise<VmRecord[]> {
    this.vmList ??= (async () => {
      const vms: VmRecord[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await Inventory.listVms(this.tenantId, { limit: LIST_PAGE, after });
        vms.push(...page.items);
        if (!page.more || vms.length >= MAX_VIEW_VMS) return vms.slice(0, MAX_VIEW_VMS);
        after = page.items.at(-1)!.moId;
      }
    })();
    return this.vmList;
  }

  vm(moId: string): Promise<VmRecord | undefined> {
    let found = this.vmsById.get(moId);
    if (!found) {
      found = this.vmList
        ? this.vmList.then((vms) => vms.find((vm) => vm.moId === moId))
        : Inventory.getVm(this.tenantId, moId).catch(() => undefined);
      this.vmsById.set(moId, found);
    }
    return found;
  }

  /** The properties of `refs` (an object that does not exist: undefined), reading tools states only if `paths` needs them. */
  async properties(refs: MoRef[], paths: string[] | 'all'): Promise<(Record<string, unknown> | undefined)[]> {
    const vmRefs = refs.filter((ref) => ref.type === 'VirtualMachine');
    const vms = new Map<string, VmRecord | undefined>();
    await Promise.all(vmRefs.map(async (ref) => vms.set(ref.value, await this.vm(ref.value))));
    const tools = new Map<string, boolean>();
    if (needsToolsState(paths)) {
      const pending = [...vms.values()].filter((vm): vm is VmRecord => vm !== undefined);
      const worker = async () => {
        for (let vm = pending.shift(); vm; vm = pending.shift()) tools.set(vm.moId, (await toolsStatus(vm)).running);
      };
      await Promise.all(Array.from({ length: TOOLS_READS_IN_FLIGHT }, worker));
    }
    const vmRefsOf = async () => (await this.vms()).map((vm) => moRef('VirtualMachine', vm.moId));
    const children = refs.some((ref) => ref.value === VM_FOLDER.value) ? await vmRefsOf() : [];
    return Promise.all(
      refs.map(async (ref) => {
        if (ref.type === 'VirtualMachine') {
          const vm = vms.get(ref.value);
          return vm && vmPropertiesOf({ vm, toolsRunning: tools.get(vm.moId) });
        }
        if (ref.type === 'SessionManager' && ref.value === SINGLETONS.sessionManager.value) {
          return { currentSession: this.currentSession?.() };
        }
        if (ref.type === 'ServiceInstance' && ref.value === SINGLETONS.serviceInstance.value) return { content: serviceContent() };
        if (ref.type === 'GuestOperationsManager' && ref.value === SINGLETONS.guestOperationsManager.value) {
          return { processManager: SINGLETONS.processManager };
        }
        const view = containerViewSpec(ref);
        if (view) return { ...view, view: await this.viewContents(view) };
        return containerProperties(ref, this.tenantId, () => children);
      }),
    );
  }

  /** The objects of the view's types in its container (with `recursive`, at any depth). */
  async viewContents(view: ContainerViewSpec): Promise<MoRef[]> {
    const found: MoRef[] = [];
    const visit = async (container: MoRef, depth: number): Promise<void> => {
      for (const item of await this.childrenOf(container)) {
        if (view.type.length === 0 || view.type.some((type) => isA(item.type, type))) found.push(item);
        if (view.recursive && depth < 8) await visit(item, depth + 1);
      }
    };
    await visit(view.container, 0);
    return found;
  }

  /** What a container holds: a folder its childEntity, the datacenter its four folders. */
  private async childrenOf(container: MoRef): Promise<MoRef[]> {
    if (container.type === 'Datacenter' && container.value === DATACENTER.value) {
      const properties = containerProperties(container, this.tenantId, () => [])!;
      return ['vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder'].map((name) => properties[name] as MoRef);
    }
    if (container.type !== 'Folder') return [];
    if (container.value === VM_FOLDER.value) return (await this.vms()).map((vm) => moRef('VirtualMachine', vm.moId));
    return (containerProperties(container, this.tenantId, () => [])?.childEntity as MoRef[] | undefined) ?? [];
  }

  /** Whether a container view may be made on this object. */
  isContainer = (ref: MoRef): boolean =>
    (ref.type === 'Folder' && containerProperties(ref, this.tenantId, () => []) !== undefined) ||
    (ref.type === 'Datacenter' && ref.value === DATACENTER.value) ||
    (ref.type === ROOT_FOLDER.type && ref.value === ROOT_FOLDER.value);
}
