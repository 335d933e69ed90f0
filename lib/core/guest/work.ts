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
import { userNameHashOf } from './guest-user.js';
import { awaitAgentBack } from './reconnects.js';
import { isReconnecting, reconnectDeadlineMs, toolsNotRunning, type RunningAgent } from './tools.js';

/** As the agent record says: pushed over its WebSocket connection while it holds one, else left for its poll. */
const handoffFor = (agent: RunningAgent): WorkHandoff => (agent.connectionId ? pushTo(agent.connectionId) : tableAndPoll);

/**
 * Work ids sort by creation time (the agent claims oldest first) and are unguessable; they end with the
 * guest user's counter (the user name's hash, base64url), so that the agent's answer is counted under it
 * whenever it comes (`guestUserOfWork`), also after the caller stopped waiting.
 */
const newWorkId = (payload: WorkPayload) =>
  `${nowMs().toString(36).padStart(9, '0')}-${randomBytes(8).toString('hex')}-${Buffer.from(userNameHashOf(payload.credentials), 'hex').toString('base64url')}`;

/** The guest user (its `userNameHashOf`) whose credentials a work item carried; `undefined` for no id of ours. */
export function guestUserOfWork(workId: string): string | undefined {
  const encoded = /^[0-9a-z]{9}-[0-9a-f]{16}-([A-Za-z0-9_-]{43})$/.exec(workId)?.[1];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64url').toString('hex');
}

export interface RunOptions {
  handoff?: WorkHandoff;
  /** Called when the work was withdrawn before any agent took it up: nothing happened in the guest. */
  withdrawn?: () => Promise<void>;
}

/**
 * Runs an operation on the VM's agent: sealed to the agent's key and bound to its work item, handed off,
 * and awaited up to the configured bound (in real time, so the Lambda never hangs). An agent re-opening its
 * connection is waited for first, within the same bound. A refusal, or no answer in time, is the matching
 * domain error.
 */
export async function runOnAgent(reported: RunningAgent, payload: WorkPayload, options: RunOptions = {}): Promise<AgentAnswer> {
  const startedAt = Date.now();
  try {
    const answer = await handOff(reported, payload, options);
    Metrics.guestOperation('ok', Date.now() - startedAt);
    return answer;
  } catch (error) {
    Metrics.guestOperation(error instanceof DomainError ? error.kind : 'internal', Date.now() - startedAt);
    throw error;
  }
}

async function handOff(reported: RunningAgent, payload: WorkPayload, options: RunOptions): Promise<AgentAnswer> {
  const deadlineMs = Date.now() + config.guestOperationTimeoutMs();
  const agent = isReconnecting(reported) ? await reconnected(reported, deadlineMs) : reported;
  const { tenantId, moId } = agent;
  const handoff = options.handoff ?? handoffFor(agent);
  const workId = newWorkId(payload);
  const sealed = seal(agent.publicKey, JSON.stringify(payload), workBinding(tenantId, moId, workId));
  const work = { tenantId, moId, workId, operation: payload.operation, sealed };
  try {
    await handoff.deliver(work, deadlineMs);
  } catch (error) {
    await options.withdrawn?.();
    throw error;
  }
  const outcome = await handoff.awaitResult(work, deadlineMs);
  switch (outcome.kind) {
    case 'answered':
      if (outcome.answer.outcome === 'refused') throw refusalError(outcome.answer.reason ?? 'failed_to_start', payload);
      return outcome.answer;
    case 'not_taken_up':
      await options.withdrawn?.();
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
