import * as z from 'zod';
import { CountSchema, InstanceUuidSchema, IsoTimestampSchema, MoIdSchema, TenantIdSchema, UserNameSchema } from './fields.js';

/**
 * The console proxy's API contract: the two calls proxy/ makes, as the console-proxy platform principal, to
 * functions/console-proxy/. Shared by both sides; it imports nothing of the core.
 */

export const REDEMPTIONS_PATH = '/console-proxy/v1/redemptions';
export const AUDIT_RECORDS_PATH = '/console-proxy/v1/audit-records';

export const HEARTBEATS_PATH = '/console-proxy/v1/heartbeats';
/** The proxy trades a one-time playback token for the recording it opens (issue 27). */
export const PLAYBACKS_PATH = '/console-proxy/v1/playbacks';

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

/**
 * How the proxy records this console (present only when the tenant's — or the VM's — policy records it).
 * The proxy writes the recording under `keyPrefix` in its recording bucket (lib/protocol/recording.ts) and
 * reports the outcome in the session's end report (`ConsoleSessionReport.recording`).
 */
export const RecordingGrantSchema = z.object({
  /** The manifest's id (a UUID): the recording's name in listings, playback links and the audit trail. */
  recordingId: z.guid(),
  /** `recordings/<tenantId>/<vmMoId>/<recordingId>/`: every object of the recording is under it. */
  keyPrefix: z.string().min(1).max(300),
  /** Also record what the browser sends (keystrokes, pointer); by default only the screen is recorded. */
  input: z.boolean(),
  /** Refuse the console when the recording cannot be written (else open it, not recorded). */
  mandatory: z.boolean(),
  /** How long the recording is kept (the objects' `retention-days` tag; the manifest expires with it). */
  retentionDays: z.number().int().min(1).max(3650),
});
export type RecordingGrant = z.infer<typeof RecordingGrantSchema>;

/**
 * A read-only view of another open console (issue 27): the proxy opens its own shared VNC connection to the
 * VM, drops every input event the shadow's browser sends, and tells both pages who is watching whom.
 */
export const ShadowOfSchema = z.object({
  /** The watched console's registry session id. */
  sessionId: z.guid(),
  /** The user whose console is watched. */
  userName: UserNameSchema,
});
export type ShadowOf = z.infer<typeof ShadowOfSchema>;

/** The watcher's name when the hosting provider's operator shadows a console (not a user of any tenant). */
export const OPERATOR_WATCHER = 'operator';
/** Who a console is issued to: a user of the tenant, or the operator (only ever on a shadow). */
export const IssuedToSchema = z.union([UserNameSchema, z.literal(OPERATOR_WATCHER)]);

/** What a redeemed ticket leads to (the answer of `POST /console-proxy/v1/redemptions`): built by the API, parsed by the proxy. */
export const ConsoleTargetSchema = z
  .object({
    tenantId: TenantIdSchema,
    vmMoId: MoIdSchema,
    instanceUuid: InstanceUuidSchema,
    consoleType: z.string().min(1).max(32),
    issuedTo: IssuedToSchema,
    issuedAt: IsoTimestampSchema,
    vnc: z.object({ host: z.string().min(1).max(253), port: z.number().int().min(1).max(65_535) }),
    session: SessionPolicySchema,
    /** Record this console (absent: not recorded). Never present on a shadow. */
    recording: RecordingGrantSchema.optional(),
    /** This console is a read-only shadow of another (absent: an ordinary, interactive console). */
    shadowOf: ShadowOfSchema.optional(),
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

/** Who is watching a console read-only (a shadow), as the watched user's page is told. */
// An operator (the hosting provider's support) watches as `operator`, not as a user of the tenant.
export const WatcherSchema = z.object({ userName: z.string().min(1).max(320), since: IsoTimestampSchema });
export type Watcher = z.infer<typeof WatcherSchema>;

/**
 * The heartbeat's answer: the sessions the registry no longer holds (to be closed), and, for sessions being
 * watched, their watchers (a fallback for a missed watch order: the page's notice is right within a beat).
 */
export const HeartbeatAnswerSchema = z.object({
  ended: z.array(z.guid()),
  watched: z.array(z.object({ sessionId: z.guid(), watchers: z.array(WatcherSchema) })).optional(),
});
export type HeartbeatAnswer = z.infer<typeof HeartbeatAnswerSchema>;

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

/**
 * An order pushed to every proxy when a shadow starts or ends: the proxy holding `sessionId` tells its page
 * who watches it now (an empty list: nobody any more).
 */
export const WatchOrderSchema = z
  .object({
    type: z.literal('watchers'),
    tenantId: TenantIdSchema,
    sessionId: z.guid(),
    watchers: z.array(WatcherSchema).max(100),
  })
  .strict();
export type WatchOrder = z.infer<typeof WatchOrderSchema>;

/** Every order the API pushes to the proxies. */
export const ProxyOrderSchema = z.discriminatedUnion('type', [EndOrderSchema, WatchOrderSchema]);
export type ProxyOrder = z.infer<typeof ProxyOrderSchema>;

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
    principal: IssuedToSchema,
    ticketFingerprint: z.string().regex(/^[0-9a-f]{8}$/, 'eight lowercase hex digits'),
    startedAt: IsoTimestampSchema,
    endedAt: IsoTimestampSchema,
    /** Bytes from the browser to the VM's console, and from the VM's console to the browser. */
    bytesToVm: CountSchema,
    bytesFromVm: CountSchema,
    /** Why the session ended, in the proxy's words (`client closed`, `idle timeout`, ...). */
    endReason: z.string().min(1).max(200),
    clientAddress: z.string().max(64).optional(),
    /** What became of the console's recording (only when the target carried a `recording` grant). */
    recording: z
      .object({
        recordingId: z.guid(),
        /** `recorded`: every chunk is stored; `not recorded`: storage was unavailable from the start (an optional policy); `incomplete`: storage failed midway and the rest was not recorded. */
        state: z.enum(['recorded', 'not recorded', 'incomplete']),
        /** Why not (or why incomplete), in the proxy's words. */
        reason: z.string().min(1).max(200).optional(),
        chunks: CountSchema,
        bytes: CountSchema,
      })
      .strict()
      .optional(),
  })
  .strict();
export type ConsoleSessionReport = z.infer<typeof ConsoleSessionReportSchema>;

/** The body of `POST /console-proxy/v1/playbacks`: the one-time token from a playback link, and where from. */
export const PlaybackRedemptionSchema = z
  .object({ token: z.string().min(1).max(512), clientAddress: z.string().max(64).optional() })
  .strict();
export type PlaybackRedemption = z.infer<typeof PlaybackRedemptionSchema>;

/**
 * A recording's manifest as listings and the playback page show it: who, when, where, how much. `state` is
 * `recording` while the console is open (or its proxy died before reporting the end).
 */
export const RecordingManifestSchema = z.object({
  recordingId: z.guid(),
  tenantId: TenantIdSchema,
  vmMoId: MoIdSchema,
  instanceUuid: InstanceUuidSchema,
  userName: UserNameSchema,
  sessionId: z.guid(),
  consoleType: z.string().min(1).max(32),
  clientAddress: z.string().max(64).optional(),
  proxyInstance: z.string().max(64).optional(),
  input: z.boolean(),
  state: z.enum(['recording', 'recorded', 'not recorded', 'incomplete']),
  reason: z.string().max(200).optional(),
  startedAt: IsoTimestampSchema,
  endedAt: IsoTimestampSchema.optional(),
  chunks: CountSchema.optional(),
  bytes: CountSchema.optional(),
  /** When the recording (manifest and objects) expires: startedAt + the policy's retention. */
  expiresAt: IsoTimestampSchema,
});
export type RecordingManifest = z.infer<typeof RecordingManifestSchema>;

/** The answer of `POST /console-proxy/v1/playbacks` (404 for a used, expired, unknown or malformed token). */
export const PlaybackGrantSchema = z.object({
  manifest: RecordingManifestSchema,
  keyPrefix: z.string().min(1).max(300),
  /** Who plays it (the playback link's holder: a tenant auditor's user name, or `operator`), for the page. */
  viewer: z.string().min(1).max(320),
});
export type PlaybackGrant = z.infer<typeof PlaybackGrantSchema>;
