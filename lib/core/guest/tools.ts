import { config } from '../../config.js';
import * as store from '../../store/index.js';
import { nowMs } from '../clock.js';
import { UnavailableBecause } from '../errors.js';
import type { AgentRecord, VmRecord } from '../../records.js';

/**
 * "VMware Tools running": the VM's agent enrolled (its key registered) and alive. An agent holding a WebSocket
 * is alive while connected with a health message within `GUEST_AGENT_HEALTH_TIMEOUT_SECONDS` (it sends one
 * every 9 minutes); a polling one while it heartbeats over HTTP within `GUEST_AGENT_HEARTBEAT_TIMEOUT_SECONDS`.
 * A closed connection with no heartbeat since is no agent: the API answers 503 at once instead of waiting.
 */

/** An agent whose key guest credentials can be sealed to. */
export type RunningAgent = Required<Pick<AgentRecord, 'publicKey'>> & AgentRecord;

export const heartbeatBoundMs = () => config.guestAgentHeartbeatTimeoutSeconds() * 1000;
export const healthBoundMs = () => config.guestAgentHealthTimeoutSeconds() * 1000;

function isToolsRunning(agent: AgentRecord | undefined): agent is RunningAgent {
  if (agent?.publicKey === undefined || agent.lastHeartbeatMs === undefined) return false;
  const silentMs = nowMs() - agent.lastHeartbeatMs;
  if (agent.connectionId !== undefined) return silentMs <= healthBoundMs();
  return silentMs <= heartbeatBoundMs() && agent.lastHeartbeatMs > (agent.disconnectedAtMs ?? 0);
}

/** The instants after which a sign of life makes an instance live (registration refuses a second one). */
export const liveSince = () => ({ heartbeat: nowMs() - heartbeatBoundMs(), health: nowMs() - healthBoundMs() });

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
