import { randomBytes } from 'node:crypto';
import { config } from '../../config.js';
import { workBinding, type WorkPayload } from '../../protocol/agent.js';
import { seal } from '../../protocol/sealing.js';
import * as Metrics from '../../metrics.js';
import { nowMs } from '../clock.js';
import { DomainError, ResourceBusy, UnavailableBecause } from '../errors.js';
import type { AgentAnswer, WorkHandoff } from './handoff.js';
import { refusalError } from './refusals.js';
import { pushTo } from './push-handoff.js';
import { tableAndPoll } from './table-handoff.js';
import type { RunningAgent } from './tools.js';

/** As the agent record says: pushed over its WebSocket connection while it holds one, else left for its poll. */
const handoffFor = (agent: RunningAgent): WorkHandoff => (agent.connectionId ? pushTo(agent.connectionId) : tableAndPoll);

/** Work ids sort by creation time (the agent claims oldest first) and are unguessable. */
const newWorkId = () => `${nowMs().toString(36).padStart(9, '0')}-${randomBytes(8).toString('hex')}`;

/**
 * Runs an operation on the VM's agent: sealed to the agent's key and bound to its work item, handed off,
 * and awaited up to the configured bound (in real time, so the Lambda never hangs). A refusal, or no
 * answer in time, is the matching domain error.
 */
export async function runOnAgent(agent: RunningAgent, payload: WorkPayload, handoff: WorkHandoff = handoffFor(agent)): Promise<AgentAnswer> {
  const startedAt = Date.now();
  try {
    const answer = await handOff(agent, payload, handoff);
    Metrics.guestOperation('ok', Date.now() - startedAt);
    return answer;
  } catch (error) {
    Metrics.guestOperation(error instanceof DomainError ? error.kind : 'internal', Date.now() - startedAt);
    throw error;
  }
}

async function handOff(agent: RunningAgent, payload: WorkPayload, handoff: WorkHandoff): Promise<AgentAnswer> {
  const { tenantId, moId } = agent;
  const workId = newWorkId();
  const sealed = seal(agent.publicKey, JSON.stringify(payload), workBinding(tenantId, moId, workId));
  const work = { tenantId, moId, workId, operation: payload.operation, sealed };
  await handoff.deliver(work);
  const outcome = await handoff.awaitResult(work, Date.now() + config.guestOperationTimeoutMs());
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
