import { setTimeout as sleep } from 'node:timers/promises';
import * as store from '../../store/index.js';
import type { AgentAnswer, HandoffOutcome, WorkDelivery } from './handoff.js';

/** How a hand-off polls for the answer: delays doubling from `firstDelayMs` to `maxDelayMs`, a read first or not. */
export interface AnswerPolling {
  /** Reads the answer (and, for the table hand-off, removes it). */
  read: (tenantId: string, moId: string, workId: string) => Promise<AgentAnswer | undefined>;
  firstDelayMs: number;
  maxDelayMs: number;
  readAtOnce: boolean;
}

/**
 * Both hand-offs' wait: poll until the answer comes or `deadlineMs` (epoch ms, real time) passes; then
 * withdraw the item with the conditional delete an agent claims with (exactly one of the two wins), or, when
 * the agent took it, read its answer once more.
 */
export async function awaitAnswer(
  { tenantId, moId, workId }: WorkDelivery,
  deadlineMs: number,
  { read, firstDelayMs, maxDelayMs, readAtOnce }: AnswerPolling,
): Promise<HandoffOutcome> {
  for (let delayMs = firstDelayMs, wait = !readAtOnce; ; wait = true) {
    if (wait) {
      const remaining = deadlineMs - Date.now();
      if (remaining <= 0) break;
      await sleep(Math.min(delayMs, remaining));
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
    const answer = await read(tenantId, moId, workId);
    if (answer) return { kind: 'answered', answer };
  }
  if (await store.takeWork(tenantId, moId, workId)) return { kind: 'not_taken_up' };
  const late = await read(tenantId, moId, workId);
  return late ? { kind: 'answered', answer: late } : { kind: 'unanswered' };
}
