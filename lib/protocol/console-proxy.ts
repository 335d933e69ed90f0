import * as z from 'zod';
import { CountSchema, InstanceUuidSchema, IsoTimestampSchema, MoIdSchema, TenantIdSchema, UserNameSchema } from './fields.js';

/**
 * The console proxy's API contract: the two calls proxy/ makes, as the console-proxy platform principal, to
 * functions/console-proxy/. Shared by both sides; it imports nothing of the core.
 */

export const REDEMPTIONS_PATH = '/console-proxy/v1/redemptions';
export const AUDIT_RECORDS_PATH = '/console-proxy/v1/audit-records';

export const HEARTBEATS_PATH = '/console-proxy/v1/heartbeats';

/**
 * The body of a redemption: the ticket (or Nova console token) the browser presented, and where the console
 * is being opened from (the browser's address, this proxy instance), for the registry of open consoles.
 */
export const RedemptionSchema = z
  .object({
    ticket: z.string().min(1).max(512),
    clientAddress: z.string().max(64).optional(),
    proxyInstance: z.string().min(1).max(64).optional(),
  })
  .strict();
export type Redemption = z.infer<typeof RedemptionSchema>;

/** What a tenant's console sessions are held to, where the socket is (the proxy). */
export const SessionPolicySchema = z
  .object({
    /** The registry's id of the session: reported in heartbeats and at its end, named by orders to end it. */
    sessionId: z.guid(),
    /** Closed after this many seconds without input from the browser. */
    idleTimeoutSeconds: z.number().int().min(1),
    /** Closed after this many seconds, busy or not. */
    maxDurationSeconds: z.number().int().min(1),
    /** Report the session at least this often, or the registry forgets it. */
    heartbeatSeconds: z.number().int().min(1),
  });
export type SessionPolicy = z.infer<typeof SessionPolicySchema>;

/** What a redeemed ticket leads to (the answer of `POST /console-proxy/v1/redemptions`): built by the API, parsed by the proxy. */
export const ConsoleTargetSchema = z
  .object({
    tenantId: TenantIdSchema,
    vmMoId: MoIdSchema,
    instanceUuid: InstanceUuidSchema,
    consoleType: z.string().min(1).max(32),
    issuedTo: UserNameSchema,
    issuedAt: IsoTimestampSchema,
    vnc: z.object({ host: z.string().min(1).max(253), port: z.number().int().min(1).max(65_535) }),
    session: SessionPolicySchema,
  });
// Not strict: a proxy older than the API ignores what it does not know, so the two can be upgraded apart.
export type ConsoleTarget = z.infer<typeof ConsoleTargetSchema>;

/**
 * The body of `POST /console-proxy/v1/heartbeats`: the sessions a proxy still bridges, with their last input
 * from the browser. The answer names those the registry no longer holds (ended meanwhile), to be closed.
 */
export const SessionHeartbeatsSchema = z
  .object({
    sessions: z
      .array(z.object({ sessionId: z.guid(), tenantId: TenantIdSchema, vmMoId: MoIdSchema, lastInputAt: IsoTimestampSchema }).strict())
      .max(500),
  })
  .strict();
export type SessionHeartbeats = z.infer<typeof SessionHeartbeatsSchema>;
export const HeartbeatAnswerSchema = z.object({ ended: z.array(z.guid()) });

/**
 * An order pushed to every proxy over the WebSocket API: close the consoles it matches — the sessions named,
 * or all of a tenant, of a VM or of a user — telling the browser `reason`.
 */
export const EndOrderSchema = z
  .object({
    type: z.literal('end'),
    tenantId: TenantIdSchema,
    vmMoId: MoIdSchema.optional(),
    userName: UserNameSchema.optional(),
    sessionIds: z.array(z.guid()).max(500).optional(),
    reason: z.string().min(1).max(120),
  })
  .strict();
export type EndOrder = z.infer<typeof EndOrderSchema>;

/** The proxies' messages on the WebSocket API (routed by `action`): only their health. */
export const ProxySocketActions = { health: 'health' } as const;

/**
 * The body of `POST /console-proxy/v1/audit-records`: who watched which VM, when, and how much went each
 * way. It names the ticket only by its fingerprint (first 8 hex of its SHA-256), never the ticket.
 */
export const ConsoleSessionReportSchema = z
  .object({
    /** The registry's id for the session (a UUID, from the redemption): a retried report is recognised, not duplicated. */
    sessionId: z.guid(),
    tenantId: TenantIdSchema,
    vmMoId: MoIdSchema,
    instanceUuid: InstanceUuidSchema,
    consoleType: z.string().min(1).max(32),
    /** The principal the ticket was issued to. */
    principal: UserNameSchema,
    ticketFingerprint: z.string().regex(/^[0-9a-f]{8}$/, 'eight lowercase hex digits'),
    startedAt: IsoTimestampSchema,
    endedAt: IsoTimestampSchema,
    /** Bytes from the browser to the VM's console, and from the VM's console to the browser. */
    bytesToVm: CountSchema,
    bytesFromVm: CountSchema,
    /** Why the session ended, in the proxy's words (`client closed`, `idle timeout`, ...). */
    endReason: z.string().min(1).max(200),
    clientAddress: z.string().max(64).optional(),
  })
  .strict();
export type ConsoleSessionReport = z.infer<typeof ConsoleSessionReportSchema>;
