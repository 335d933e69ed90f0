import * as store from '../../store/index.js';
import { nowMs } from '../clock.js';
import { UnavailableBecause } from '../errors.js';
import { awaitAnswer } from './answer-wait.js';
import { notifyConnection } from './connections.js';
import type { WorkHandoff } from './handoff.js';
import { putWorkItem } from './table-handoff.js';

/**
 * The hand-off as a push: the work item is put in the table as for polling, then the VM's WebSocket
 * connection gets a notice naming it; the agent claims it over HTTP with the same conditional delete a
 * polling agent uses, which alone decides claim versus withdrawal. Waiting for the answer costs strongly
 * consistent reads with backoff, no writes; a connection that answers Gone is a VM without tools, answered
 * at once (503), its item withdrawn so that nothing runs later.
 */
export function pushTo(connectionId: string): WorkHandoff {
  return {
    async deliver(work) {
      await putWorkItem(work);
      const notice = { type: 'work', workId: work.workId } as const;
      // A connection renewed meanwhile (the agent opens the new one before it lets the old one go) takes the
      // notice of the gone one: one more read, on this path only.
      let sent: 'sent' | 'gone' | 'failed' = 'gone';
      for (let target: string | undefined = connectionId, tries = 0; target && tries < 3; tries += 1) {
        sent = await notifyConnection(target, notice);
        if (sent === 'sent') return;
        if (sent === 'failed') break;
        await store.clearConnection(work, target, nowMs());
        const current: string | undefined = (await store.getAgent(work.tenantId, work.moId))?.connectionId;
        target = current !== target ? current : undefined;
      }
      const withdrawn = await store.takeWork(work.tenantId, work.moId, work.workId);
      // Claimed meanwhile (the agent reconnected and took what was waiting): its answer is awaited as usual.
      if (!withdrawn) return;
      throw UnavailableBecause(
        sent === 'failed' ? `VMware Tools in ${work.moId} could not be reached; retry later.` : `VMware Tools in ${work.moId} is not connected.`,
      );
    },

    // First read after about a claim's round trip; then doubling, so a slow answer costs few reads.
    awaitResult: (work, deadlineMs) =>
      awaitAnswer(work, deadlineMs, { read: store.getWorkResult, firstDelayMs: 40, maxDelayMs: 1000, readAtOnce: false }),
  };
}
