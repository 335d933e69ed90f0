import type { Sealed } from '../../protocol/sealing.js';
import type { GuestOperation } from '../../protocol/agent.js';
import type { GuestWorkResultRecord } from '../../records.js';

/**
 * The port through which a guest operation reaches the VM's agent: deliver a work item to the agent of its
 * VM, then await its answer until a deadline. Two adapters: a push over the agent's WebSocket
 * (push-handoff.ts) and, for an agent without one, the table and its polling (table-handoff.ts).
 */
export interface WorkHandoff {
  /** Hands the item on; may wait (for an agent re-opening its connection) until `deadlineMs` at most. */
  deliver(work: WorkDelivery, deadlineMs: number): Promise<void>;
  /** The agent's answer, or why there is none by `deadlineMs` (epoch ms, real time). */
  awaitResult(work: WorkDelivery, deadlineMs: number): Promise<HandoffOutcome>;
}

/** A work item on its way: the operation with its guest credentials, readable only by the agent's key. */
export interface WorkDelivery {
  tenantId: string;
  moId: string;
  workId: string;
  operation: GuestOperation;
  sealed: Sealed;
}

export type AgentAnswer = Pick<GuestWorkResultRecord, 'outcome' | 'reason' | 'pid'>;

export type HandoffOutcome =
  | { kind: 'answered'; answer: AgentAnswer }
  /** The agent never took the item up, and it was withdrawn: nothing happened in the guest. */
  | { kind: 'not_taken_up' }
  /** The agent took the item up but did not answer in time: it may still finish it. */
  | { kind: 'unanswered' };
