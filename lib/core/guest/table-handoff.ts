import { config } from '../../config.js';
import * as store from '../../store/index.js';
import { isoNow, nowSeconds } from '../clock.js';
import type { GuestWorkResultRecord } from '../../records.js';
import { awaitAnswer } from './answer-wait.js';
import type { AgentAnswer, WorkDelivery, WorkHandoff } from './handoff.js';

/**
 * The hand-off as a table and a poll: the work item is put in the table, the agent polls for work over
 * HTTP, claims an item by deleting it, and puts its answer back; the caller polls for the answer with
 * backoff. On giving up nothing is left half-done: an unclaimed item is withdrawn with the same conditional
 * delete an agent claims with, so exactly one of the two wins; a claimed item is the agent's to finish.
 */
export const tableAndPoll: WorkHandoff = {
  async deliver(work) {
    await putWorkItem(work);
  },

  awaitResult: (work, deadlineMs) =>
    awaitAnswer(work, deadlineMs, { read: store.takeWorkResult, firstDelayMs: 20, maxDelayMs: 400, readAtOnce: true }),
};

/** The agent's side: claims the oldest live work item for its VM; `undefined` when there is none. */
export async function claimOldestWork(tenantId: string, moId: string): Promise<WorkDelivery | undefined> {
  for (const workId of await store.listWorkIds(tenantId, moId)) {
    const work = await store.takeWork(tenantId, moId, workId);
    if (work) return work;
  }
  return undefined;
}

/** The agent's side: its answer to a claimed item, kept until the waiting caller can no longer be waiting. */
export async function answerWork(answer: Omit<GuestWorkResultRecord, 'expiresAt'> & AgentAnswer): Promise<void> {
  await store.putWorkResult({ ...answer, expiresAt: nowSeconds() + lifetimeSeconds() });
}

/** Items and answers outlive the longest wait by a margin; DynamoDB's TTL removes the leftovers. */
const lifetimeSeconds = () => Math.ceil(config.guestOperationTimeoutMs() / 1000) + 5;

/** The sealed work item, in the table where the agent claims it (whichever way it learns of it). */
export const putWorkItem = (work: WorkDelivery): Promise<void> =>
  store.putWork({ ...work, createdAt: isoNow(), expiresAt: nowSeconds() + lifetimeSeconds() });
