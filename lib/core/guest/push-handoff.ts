import * as store from '../../store/index.js';
import { nowMs } from '../clock.js';
import { UnavailableBecause } from '../errors.js';
import { awaitAnswer } from './answer-wait.js';
import { notifyConnection } from './connections.js';
import type { WorkHandoff } from './handoff.js';
import { awaitAgentBack } from './reconnects.js';
import { putWorkItem } from './table-handoff.js';
import { reconnectGraceMs } from './tools.js';
import type { AgentRecord } from '../../records.js';

/**
 * The hand-off as a push: the work item is put in the table as for polling, then the VM's WebSocket
 * connection gets a notice naming it; the agent claims it over HTTP with the same conditional delete a
 * polling agent uses, which alone decides claim versus withdrawal. Waiting for the answer costs strongly
 * consistent reads with backoff, no writes. A connection that answers Gone with no newer one is an agent
 * re-opening its connection, or a VM without tools: the first is waited for within the reconnect grace (it
 * claims what waits as soon as it is back); otherwise the item is withdrawn so that nothing runs later (503).
 */
export function pushTo(connectionId: string): WorkHandoff {
  return {
    async deliver(work, deadlineMs) {
      await putWorkItem(work);
      const notice = { type: 'work', workId: work.workId } as const;
      // A connection renewed meanwhile (the agent opens the new one before it lets the old one go) takes the
      // notice of the gone one: one more read, on this path only.
      let sent: 'sent' | 'gone' | 'failed' = 'gone';
      let agent: AgentRecord | undefined;
      for (let target: string | undefined = connectionId, tries = 0; target && tries < 3; tries += 1) {
        sent = await notifyConnection(target, notice);
        if (sent === 'sent') return;
        if (sent === 'failed') break;
        await store.clearConnection(work, target, nowMs());
        agent = await store.getAgent(work.tenantId, work.moId);
        target = agent?.connectionId !== target ? agent?.connectionId : undefined;
      }
      if (sent === 'gone' && agent) {
        const back = await awaitAgentBack(agent, Math.min(deadlineMs, Date.now() + reconnectGraceMs()));
        // Back: it claims what waited when its connection opens; the notice only makes that sooner.
        if (back) {
          if (back.connectionId) await notifyConnection(back.connectionId, notice);
          return;
        }
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
