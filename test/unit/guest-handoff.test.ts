import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { config } from '../../lib/config.js';
import type { HandoffOutcome, WorkDelivery, WorkHandoff } from '../../lib/core/guest/handoff.js';
import { runOnAgent } from '../../lib/core/guest/work.js';
import type { RunningAgent } from '../../lib/core/guest/tools.js';
import { WorkPayloadSchema, workBinding, type WorkPayload } from '../../lib/protocol/agent.js';
import { open } from '../../lib/protocol/sealing.js';

/** The guest core's hand-off port: any adapter will do, so these need no table and no agent. */
const keys = generateKeyPairSync('x25519');
const agent: RunningAgent = {
  tenantId: 'acme',
  moId: 'vm-101',
  credentialHash: 'ab'.repeat(32),
  issuedAt: '2026-01-01T00:00:00.000Z',
  publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
};
const payload: WorkPayload = {
  operation: 'terminate',
  credentials: { type: 'USERNAME_PASSWORD', userName: 'alice', password: 'pw-1', interactiveSession: false },
  pid: 4242,
};

/** An adapter that answers at once with `outcome`, recording what it was given. */
function answering(outcome: HandoffOutcome) {
  const seen: { delivered: WorkDelivery[]; awaited: { work: WorkDelivery; deadlineMs: number }[] } = { delivered: [], awaited: [] };
  const handoff: WorkHandoff = {
    async deliver(work) {
      seen.delivered.push(work);
    },
    async awaitResult(work, deadlineMs) {
      seen.awaited.push({ work, deadlineMs });
      return outcome;
    },
  };
  return { handoff, seen };
}

describe('runOnAgent', () => {
  it('delivers the operation sealed to the agent, bound to its work item, and awaits it until the bound', async () => {
    const { handoff, seen } = answering({ kind: 'answered', answer: { outcome: 'done' } });
    const before = Date.now();
    await expect(runOnAgent(agent, payload, { handoff })).resolves.toEqual({ outcome: 'done' });
    expect(seen.delivered).toHaveLength(1);
    const [work] = seen.delivered;
    expect(work).toMatchObject({ tenantId: 'acme', moId: 'vm-101', operation: 'terminate' });
    expect(JSON.stringify(work)).not.toContain('pw-1');
    const opened = open(keys.privateKey, work!.sealed, workBinding('acme', 'vm-101', work!.workId));
    expect(WorkPayloadSchema.parse(JSON.parse(opened))).toEqual(payload);
    expect(() => open(keys.privateKey, work!.sealed, workBinding('acme', 'vm-101', `${work!.workId}x`))).toThrow();
    expect(seen.awaited).toEqual([{ work, deadlineMs: expect.any(Number) }]);
    const { deadlineMs } = seen.awaited[0]!;
    expect(deadlineMs).toBeGreaterThanOrEqual(before + config.guestOperationTimeoutMs());
    expect(deadlineMs).toBeLessThanOrEqual(Date.now() + config.guestOperationTimeoutMs());
  });

  it('gives each operation its own work id, sorting by creation time', async () => {
    const { handoff, seen } = answering({ kind: 'answered', answer: { outcome: 'done' } });
    await runOnAgent(agent, payload, { handoff });
    await new Promise((resolve) => setTimeout(resolve, 2));
    await runOnAgent(agent, payload, { handoff });
    const [first, second] = seen.delivered.map((work) => work.workId);
    expect(first).not.toEqual(second);
    expect([first, second].sort()).toEqual([first, second]);
  });

  it.each([
    [{ kind: 'answered', answer: { outcome: 'refused', reason: 'invalid_credentials' } }, 'unauthenticated', 'Failed to authenticate with the guest operating system using the supplied credentials.'],
    [{ kind: 'answered', answer: { outcome: 'refused', reason: 'process_not_found' } }, 'not_found', 'Process 4242 was not found in the guest.'],
    [{ kind: 'answered', answer: { outcome: 'refused' } }, 'unable_to_allocate_resource', 'The program could not be started in the guest.'],
    [{ kind: 'not_taken_up' }, 'service_unavailable', 'VMware Tools in vm-101 did not take up the operation in time.'],
    [{ kind: 'unanswered' }, 'resource_busy', 'The guest operation did not complete in time; the virtual machine is busy.'],
  ] satisfies [HandoffOutcome, string, string][])('turns %j into a %s error', async (outcome, kind, message) => {
    await expect(runOnAgent(agent, payload, { handoff: answering(outcome).handoff })).rejects.toMatchObject({ kind, message });
  });
});

describe("the agent's reconnect delay (full jitter)", () => {
  it('is drawn from [0, min(cap, base × 2^attempt))', async () => {
    const { backoffDelayMs } = await import('../../agent/backoff.js');
    expect([0, 1, 2, 3, 10, 20].map((attempt) => backoffDelayMs(attempt, 1000, 300_000, () => 0.999999))).toEqual([999, 1999, 3999, 7999, 299_999, 299_999]);
    expect(backoffDelayMs(5, 1000, 300_000, () => 0)).toBe(0);
  });
});
