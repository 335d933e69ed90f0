import { config } from '../../config.js';
import * as store from '../../store/index.js';
import { nowMs } from '../clock.js';
import { UnavailableBecause } from '../errors.js';
import type { AgentRecord, VmRecord } from '../../records.js';

/** "VMware Tools running": the VM's agent enrolled (its key registered) and heartbeating within the bound. */

/** An agent whose key guest credentials can be sealed to. */
export type RunningAgent = Required<Pick<AgentRecord, 'publicKey'>> & AgentRecord;

export const heartbeatBoundMs = () => config.guestAgentHeartbeatTimeoutSeconds() * 1000;

const isToolsRunning = (agent: AgentRecord | undefined): agent is RunningAgent =>
  agent?.publicKey !== undefined && agent.lastHeartbeatMs !== undefined && nowMs() - agent.lastHeartbeatMs <= heartbeatBoundMs();

export function requireToolsRunning(vm: VmRecord, agent: AgentRecord | undefined): RunningAgent {
  if (!isToolsRunning(agent)) throw UnavailableBecause(`VMware Tools is not running in ${vm.moId}.`);
  return agent;
}

export interface ToolsStatus {
  running: boolean;
  /** The version the VM's agent registered with, once it has. */
  agentVersion?: string;
}

/** vcenter.vm.Tools.get: whether the VM's agent runs (a powered-on VM, heartbeating within the bound), one GetItem. */
export async function toolsStatus(vm: VmRecord): Promise<ToolsStatus> {
  const agent = await store.getAgent(vm.tenantId, vm.moId);
  return { running: vm.powerState === 'poweredOn' && isToolsRunning(agent), agentVersion: agent?.agentVersion };
}
