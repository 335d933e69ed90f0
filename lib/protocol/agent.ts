import * as z from 'zod';
import { ExitCodeSchema, IsoTimestampSchema, PidSchema } from './fields.js';
import type { Sealed } from './sealing.js';

/**
 * The guest agent's wire protocol: what travels sealed inside a work item (./sealing.ts), and what the agent
 * answers. Shared by the API's guest handlers and core and by agent/; it imports nothing of the core.
 */

/** The agent's calls, each authenticated by its per-VM credential. */
export const AgentPaths = {
  registration: '/agent/v1/registration',
  heartbeats: '/agent/v1/heartbeats',
  claims: '/agent/v1/claims',
  results: '/agent/v1/results',
  exits: '/agent/v1/exits',
} as const;

/** The body of `PUT /agent/v1/registration`: the key guest credentials will be sealed to. */
export const RegistrationSchema = z
  .object({ publicKey: z.string().min(1).max(4096), agentVersion: z.string().min(1).max(64) })
  .strict();

/** The optional body of `POST /agent/v1/heartbeats`: the version running now (an upgrade shows without a restart of the API's view). */
export const HeartbeatSchema = z.object({ agentVersion: z.string().min(1).max(64) }).strict();

/** The answer to a registration. */
export interface AgentRegistration {
  tenantId: string;
  moId: string;
  guestOsFamily: string;
  registeredAt: string;
  /** Programs the table lists as running: started by an earlier agent instance, whose end no one reported. */
  running: { pid: number; owner: string }[];
  /** The WebSocket API work is pushed over; absent: the agent polls over HTTP. */
  websocketUrl?: string;
}

/** The optional body of `POST /agent/v1/claims`: the work item a notice named (without: the oldest waiting). */
export const ClaimSchema = z.object({ workId: z.string().min(1).max(80) }).strict();

/**
 * Over the WebSocket (API Gateway routes by `action`): the agent sends only its health message; the API sends
 * only work notices, which carry the work id and nothing else (the item itself is claimed over HTTP).
 */
export const AgentSocketActions = { health: 'health' } as const;
export const WorkNoticeSchema = z.object({ type: z.literal('work'), workId: z.string().min(1).max(80) });
export type WorkNotice = z.infer<typeof WorkNoticeSchema>;

export const GuestCredentialsSchema = z.object({
  type: z.enum(['USERNAME_PASSWORD', 'SAML_BEARER_TOKEN']),
  userName: z.string().optional(),
  password: z.string().optional(),
  samlToken: z.string().optional(),
  interactiveSession: z.boolean().default(false),
});
export type GuestCredentials = z.infer<typeof GuestCredentialsSchema>;

export const ProgramSpecSchema = z.object({
  path: z.string(),
  arguments: z.string().optional(),
  workingDirectory: z.string().optional(),
  /** When present, the complete environment of the program (not additions to a default). */
  environment: z.record(z.string(), z.string()).optional(),
});
export type ProgramSpec = z.infer<typeof ProgramSpecSchema>;

/** The sealed body of a work item, by operation. */
export const WorkPayloadSchema = z.discriminatedUnion('operation', [
  z.object({ operation: z.literal('start'), credentials: GuestCredentialsSchema, spec: ProgramSpecSchema }),
  z.object({ operation: z.literal('authenticate'), credentials: GuestCredentialsSchema }),
  z.object({ operation: z.literal('terminate'), credentials: GuestCredentialsSchema, pid: PidSchema }),
]);
export type WorkPayload = z.infer<typeof WorkPayloadSchema>;
export type GuestOperation = WorkPayload['operation'];

/** The answer to `POST /agent/v1/claims` (204 when there is no work). */
export interface ClaimedWork {
  workId: string;
  operation: WorkPayload['operation'];
  sealed: Sealed;
}

/** Why an agent refused a work item; the core maps each to its domain error. */
export const REFUSALS = [
  'invalid_credentials',
  'path_not_accessible',
  'failed_to_start',
  'busy',
  'process_not_found',
  'permission_denied',
  'unsupported',
] as const;
export type Refusal = (typeof REFUSALS)[number];

export const ProcessInfoSchema = z
  .object({
    pid: PidSchema,
    name: z.string().max(4096),
    owner: z.string().max(256),
    command: z.string().max(70_000),
    started: IsoTimestampSchema,
  })
  .strict();
export type ProcessInfo = z.infer<typeof ProcessInfoSchema>;

export const WorkResultSchema = z.discriminatedUnion('outcome', [
  z.object({ workId: z.string().max(80), outcome: z.literal('started'), process: ProcessInfoSchema }).strict(),
  z.object({ workId: z.string().max(80), outcome: z.literal('done') }).strict(),
  z.object({ workId: z.string().max(80), outcome: z.literal('refused'), reason: z.enum(REFUSALS) }).strict(),
]);
export type WorkResult = z.infer<typeof WorkResultSchema>;

export const ProcessExitSchema = z
  // No exit code: the program was started by an earlier agent instance, which alone could have seen it.
  .object({ pid: PidSchema, exitCode: ExitCodeSchema.optional(), finished: IsoTimestampSchema })
  .strict();
export type ProcessExit = z.infer<typeof ProcessExitSchema>;

/** What a sealed payload is bound to: the box opens only as this very work item of this very VM. */
export const workBinding = (tenantId: string, moId: string, workId: string) => `${tenantId}/${moId}/${workId}`;
