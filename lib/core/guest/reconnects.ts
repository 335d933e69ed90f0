import { setTimeout as sleep } from 'node:timers/promises';
import * as store from '../../store/index.js';
import type { AgentRecord } from '../../records.js';

/**
 * Waiting for a known agent that is re-opening its WebSocket (a renewal, API Gateway's 2-hour cut, a network
 * blip): instead of refusing a guest operation at once, the API reads the agent's record with backoff until
 * it shows a sign of life after the close (a new connection, or an HTTP heartbeat), up to `untilMs` (epoch ms,
 * real time). Only the same enrolment counts: a new instance has a new key, which the work was not sealed to.
 * Costs consistent reads only, and only on this path.
 */
export async function awaitAgentBack(agent: AgentRecord, untilMs: number): Promise<AgentRecord | undefined> {
  for (let delayMs = 50; ; delayMs = Math.min(delayMs * 2, 500)) {
    const current = await store.getAgent(agent.tenantId, agent.moId);
    if (!current || current.publicKey !== agent.publicKey || current.credentialHash !== agent.credentialHash) return undefined;
    if (current.connectionId !== undefined || (current.lastHeartbeatMs ?? 0) > (current.disconnectedAtMs ?? 0)) return current;
    const remainingMs = untilMs - Date.now();
    if (remainingMs <= 0) return undefined;
    await sleep(Math.min(delayMs, remainingMs));
  }
}
