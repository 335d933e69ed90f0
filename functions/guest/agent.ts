import { z } from 'zod';
import * as Guest from '../../lib/core/guest.js';
import { ProcessExitSchema, WorkResultSchema } from '../../lib/core/guest-sealing.js';
import { AgentAuthorization, guestAgentDialect } from '../../lib/dialects/vcenter/guest-agent.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json, noContent } from '../../lib/http/types.js';

/**
 * The guest agent's API. Every call carries the agent's per-VM credential; the VM it speaks for comes from
 * that credential, never from the request, so an agent can touch only its own VM's work and processes.
 */
const agentApi = { dialect: guestAgentDialect, auth: { kind: 'none' } } as const;

/** PUT /agent/v1/registration — enrolment: the public key guest credentials will be sealed to. */
export const register = endpoint({
  ...agentApi,
  input: z.object({
    headers: AgentAuthorization,
    body: z.object({ publicKey: z.string().min(1).max(4096), agentVersion: z.string().min(1).max(64) }).strict(),
  }),
  handler: async ({ headers, body }) => {
    const agent = await Guest.authenticateAgent(headers.authorization);
    return json(200, await Guest.registerAgent(agent, body.publicKey, body.agentVersion));
  },
});

/** POST /agent/v1/heartbeats — "VMware Tools is running". */
export const heartbeat = endpoint({
  ...agentApi,
  input: z.object({ headers: AgentAuthorization }),
  handler: async ({ headers }) => {
    await Guest.recordHeartbeat(await Guest.authenticateAgent(headers.authorization));
    return noContent();
  },
});

/** POST /agent/v1/claims — takes the oldest waiting work item for the agent's VM (204 when none). */
export const claim = endpoint({
  ...agentApi,
  input: z.object({ headers: AgentAuthorization }),
  handler: async ({ headers }) => {
    const work = await Guest.claimWork(await Guest.authenticateAgent(headers.authorization));
    return work ? json(200, work) : noContent();
  },
});

/** POST /agent/v1/results — the answer to a claimed work item. */
export const result = endpoint({
  ...agentApi,
  input: z.object({ headers: AgentAuthorization, body: WorkResultSchema }),
  handler: async ({ headers, body }) => {
    await Guest.reportWorkResult(await Guest.authenticateAgent(headers.authorization), body);
    return noContent();
  },
});

/** POST /agent/v1/exits — a started process ended. */
export const exit = endpoint({
  ...agentApi,
  input: z.object({ headers: AgentAuthorization, body: ProcessExitSchema }),
  handler: async ({ headers, body }) => {
    await Guest.reportProcessExit(await Guest.authenticateAgent(headers.authorization), body);
    return noContent();
  },
});
