import { randomBytes } from 'node:crypto';
import { config } from '../../config.js';
import { workBinding, type WorkPayload } from '../../protocol/agent.js';
import { seal } from '../../protocol/sealing.js';
import { nowMs } from '../clock.js';
import { ResourceBusy, UnavailableBecause } from '../errors.js';
import type { AgentAnswer, WorkHandoff } from './handoff.js';
import { refusalError } from './refusals.js';
import { pushTo } from './push-handoff.js';
import { tableAndPoll } from './table-handoff.js';
import { awaitAgentBack } from './reconnects.js';
import { isReconnecting, reconnectDeadlineMs, toolsNotRunning, type RunningAgent } from './tools.js';

/** As the agent record says: pushed over its WebSocket connection while it holds one, else left for its poll. */
const handoffFor = (agent: RunningAgent): WorkHandoff => (agent.connectionId ? pushTo(agent.connectionId) : tableAndPoll);

/** Work ids sort by creation time (the agent claims oldest first) and are unguessable. */
const newWorkId = () => `${nowMs().toString(36).padStart(9, '0')}-${randomBytes(8).toString('hex')}`;

/**
 * Runs an operation on the VM's agent: sealed to the agent's key and bound to its work item, handed off,
 * and awaited up to the configured bound (in real time, so the Lambda never hangs). An agent re-opening its
 * connection is waited for first, within the same bound. A refusal, or no answer in time, is the matching
 * domain error.
 */
export async function runOnAgent(reported: RunningAgent, payload: WorkPayload, handoff?: WorkHandoff): Promise<AgentAnswer> {
  const deadlineMs = Date.now() + config.guestOperationTimeoutMs();
  const agent = isReconnecting(reported) ? await reconnected(reported, deadlineMs) : reported;
  const { tenantId, moId } = agent;
  const workId = newWorkId();
  const sealed = seal(agent.publicKey, JSON.stringify(payload), workBinding(tenantId, moId, workId));
  const work = { tenantId, moId, workId, operation: payload.operation, sealed };
  const route = handoff ?? handoffFor(agent);
  await route.deliver(work, deadlineMs);
  const outcome = await route.awaitResult(work, deadlineMs);
  switch (outcome.kind) {
    case 'answered':
      if (outcome.answer.outcome === 'refused') throw refusalError(outcome.answer.reason ?? 'failed_to_start', payload);
      return outcome.answer;
    case 'not_taken_up':
      throw UnavailableBecause(`VMware Tools in ${moId} did not take up the operation in time.`);
    case 'unanswered':
      throw ResourceBusy('The guest operation did not complete in time; the virtual machine is busy.');
  }
}

/** The agent once it is back from re-opening its connection; not back within the grace: it is gone (503). */
async function reconnected(agent: RunningAgent, deadlineMs: number): Promise<RunningAgent> {
  const untilMs = Math.min(deadlineMs, Date.now() + reconnectDeadlineMs(agent) - nowMs());
  const back = await awaitAgentBack(agent, untilMs);
  if (!back) throw toolsNotRunning(agent.moId);
  return { ...back, publicKey: agent.publicKey };
}
