import * as z from 'zod';
import * as Guest from '../../lib/core/guest/agent-calls.js';
import { ClaimSchema, HeartbeatSchema, ProcessExitSchema, RegistrationSchema, WorkResultSchema } from '../../lib/protocol/agent.js';
import { guestAgentDialect } from '../../lib/dialects/guest-agent/index.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json, noContent } from '../../lib/http/responses.js';

/**
 * The guest agent's API. Every call carries the agent's per-VM credential; the VM it speaks for comes from
 * that credential, never from the request, so an agent can touch only its own VM's work and processes.
 */
const agentApi = { dialect: guestAgentDialect, auth: { kind: 'agent', authenticate: Guest.authenticateAgent } } as const;

/** PUT /agent/v1/registration — enrolment: the public key guest credentials will be sealed to. */
export const register = endpoint({
  ...agentApi,
  input: z.object({ body: RegistrationSchema }),
  handler: async ({ body }, { agent }) => json(200, await Guest.registerAgent(agent, body.publicKey, body.agentVersion)),
});

/** POST /agent/v1/heartbeats — "VMware Tools is running" (`{"agentVersion"}`: which version is). */
export const heartbeat = endpoint({
  ...agentApi,
  input: z.object({ body: HeartbeatSchema.optional() }),
  handler: async ({ body }, { agent }) => {
    await Guest.recordHeartbeat(agent, body?.agentVersion);
    return noContent();
  },
});

/**
 * POST /agent/v1/claims — takes the work item a notice named (`{"workId"}`), or without a body the oldest
 * waiting one, for the agent's VM (204 when there is none: withdrawn, or already taken).
 */
export const claim = endpoint({
  ...agentApi,
  input: z.object({ body: ClaimSchema.optional() }),
  handler: async ({ body }, { agent }) => {
    const work = await Guest.claimWork(agent, body?.workId);
    return work ? json(200, work) : noContent();
  },
});

/** POST /agent/v1/results — the answer to a claimed work item. */
export const result = endpoint({
  ...agentApi,
  input: z.object({ body: WorkResultSchema }),
  handler: async ({ body }, { agent }) => {
    await Guest.reportWorkResult(agent, body);
    return noContent();
  },
});

/** POST /agent/v1/exits — a started process ended. */
export const exit = endpoint({
  ...agentApi,
  input: z.object({ body: ProcessExitSchema }),
  handler: async ({ body }, { agent }) => {
    await Guest.reportProcessExit(agent, body);
    return noContent();
  },
});
