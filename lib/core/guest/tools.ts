import { config } from '../../config.js';
import * as store from '../../store/index.js';
import { nowMs } from '../clock.js';
import { UnavailableBecause } from '../errors.js';
import type { AgentRecord, VmRecord } from '../../records.js';

/**
 * "VMware Tools running": the VM's agent enrolled (its key registered) and alive. An agent holding a WebSocket
 * is alive while connected with a health message within `GUEST_AGENT_HEALTH_TIMEOUT_SECONDS` (it sends one
 * every 9 minutes); a polling one while it heartbeats over HTTP within `GUEST_AGENT_HEARTBEAT_TIMEOUT_SECONDS`.
 * An agent whose connection closed lately while it was alive is reconnecting: guest operations wait for it
 * (`GUEST_AGENT_RECONNECT_GRACE_SECONDS`, ./reconnects.ts). A closed connection older than that, with no
 * heartbeat since, is no agent: the API answers 503 at once instead of waiting. So is a Windows guest: the
 * agent runs on Linux guests only.
 */

/** An agent whose key guest credentials can be sealed to. */
export type RunningAgent = Required<Pick<AgentRecord, 'publicKey'>> & AgentRecord;

export const heartbeatBoundMs = () => config.guestAgentHeartbeatTimeoutSeconds() * 1000;
export const healthBoundMs = () => config.guestAgentHealthTimeoutSeconds() * 1000;
export const reconnectGraceMs = () => config.guestAgentReconnectGraceSeconds() * 1000;

type ToolsState = 'running' | 'reconnecting' | 'not_running';

function toolsState(agent: AgentRecord | undefined): ToolsState {
  if (agent?.publicKey === undefined || agent.lastHeartbeatMs === undefined) return 'not_running';
  const now = nowMs();
  const silentMs = now - agent.lastHeartbeatMs;
  if (agent.connectionId !== undefined) return silentMs <= healthBoundMs() ? 'running' : 'not_running';
  const disconnectedAtMs = agent.disconnectedAtMs ?? 0;
  if (silentMs <= heartbeatBoundMs() && agent.lastHeartbeatMs > disconnectedAtMs) return 'running';
  const alive = disconnectedAtMs - agent.lastHeartbeatMs <= healthBoundMs();
  return alive && now - disconnectedAtMs <= reconnectGraceMs() ? 'reconnecting' : 'not_running';
}

const isToolsRunning = (agent: AgentRecord | undefined): agent is RunningAgent => toolsState(agent) !== 'not_running';

/** An agent whose connection closed within the grace, alive when it did: to be waited for, not refused. */
export const isReconnecting = (agent: AgentRecord): boolean => toolsState(agent) === 'reconnecting';

/** When the grace for a reconnecting agent ends, on the injected clock. */
export const reconnectDeadlineMs = (agent: AgentRecord): number => (agent.disconnectedAtMs ?? 0) + reconnectGraceMs();

/** The instants after which a sign of life makes an instance live (registration refuses a second one). */
export const liveSince = () => ({ heartbeat: nowMs() - heartbeatBoundMs(), health: nowMs() - healthBoundMs() });

export function requireToolsRunning(vm: VmRecord, agent: AgentRecord | undefined): RunningAgent {
  if (vm.guestOsFamily === 'windows') throw toolsNotInstalledOnWindows(vm.moId);
  if (!isToolsRunning(agent)) throw toolsNotRunning(vm.moId);
  return agent;
}

export const toolsNotRunning = (moId: string) => UnavailableBecause(`VMware Tools is not running in ${moId}.`);

/** vSphere's answer for a guest without VMware Tools (503): there is no agent for Windows guests yet. */
const toolsNotInstalledOnWindows = (moId: string) =>
  UnavailableBecause(`VMware Tools is not installed in ${moId}: the guest agent runs on Linux guests only.`);

export interface ToolsStatus {
  running: boolean;
  /** The version the VM's agent registered with, once it has. */
  agentVersion?: string;
}

/** vcenter.vm.Tools.get: whether the VM's agent runs (a powered-on VM, heartbeating within the bound), one GetItem. */
export async function toolsStatus(vm: VmRecord): Promise<ToolsStatus> {
  const agent = await store.getAgent(vm.tenantId, vm.moId);
  const running = vm.powerState === 'poweredOn' && vm.guestOsFamily !== 'windows' && isToolsRunning(agent);
  return { running, agentVersion: agent?.agentVersion };
}
