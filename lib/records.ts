import type { Privilege } from './core/privileges.js';
import type { VmSpec } from './core/model.js';
import type { RecordingPolicy, RecordingPolicySpec } from './core/recording-policy.js';
import type { Refusal, WorkPayload, WorkResult } from './protocol/agent.js';
import type { ShadowOf } from './protocol/console-proxy.js';
import type { Sealed } from './protocol/sealing.js';

/**
 * Every record the table holds, in one module at the bottom of the tree: the store writes and reads these
 * shapes, the core builds and consumes them, and neither owns them. Only types of vocabulary modules (input
 * schemas, privileges, the agent's protocol) come in, and none of those imports the core's logic or the store
 * (test/unit/imports.test.ts holds this). Keys and table attributes (pk, sk, gsi1*) are not part of a record.
 */

export interface TenantRecord {
  tenantId: string;
  displayName: string;
  createdAt: string;
  /** Set when the tenant's deletion began: every login and session request is refused from then on, while the drain job empties it. */
  deletingSince?: string;
  /** What the operator set of the tenant's console policy (lib/core/console-policy.ts fills in the rest). */
  consolePolicy?: ConsolePolicySpec;
  /** Whether and how its consoles are recorded (lib/core/recording-policy.ts; a VM's spec may override fields). */
  recordingPolicy?: RecordingPolicySpec;
}

/** A tenant's console policy as the operator sets it; each field left out takes its default. */
export interface ConsolePolicySpec {
  /** Open consoles per VM (vSphere's RemoteDisplay.maxConnections; default 40). */
  connectionLimitPerVm?: number;
  /** Open consoles per user of the tenant (no cap when absent). */
  connectionLimitPerUser?: number;
  /** Open consoles in the whole tenant (no cap when absent). */
  connectionLimitPerTenant?: number;
  idleTimeoutSeconds?: number;
  maxDurationSeconds?: number;
}

/**
 * An open console in the registry (lib/core/open-consoles.ts): opened by a redemption, kept alive by its
 * proxy's heartbeats, removed by its end report; one whose proxy died expires (`expiresAt`).
 */
export interface OpenConsoleRecord {
  sessionId: string;
  tenantId: string;
  vmMoId: string;
  instanceUuid: string;
  userName: string;
  consoleType: string;
  clientAddress?: string;
  proxyInstance?: string;
  ticketFingerprint: string;
  startedAt: string;
  lastInputAt: string;
  expiresAt: number;
  /** A read-only shadow of another open console (issue 27; lib/core/shadows.ts): which one, whose. */
  shadowOf?: ShadowOf;
  /** Set on a console once a shadow of it opened: its proxy's heartbeats then answer its watchers. */
  shadowed?: boolean;
}

export interface PrincipalRecord {
  tenantId: string;
  userName: string;
  fullName?: string;
  passwordHash: string;
  privileges: Privilege[];
  updatedAt: string;
}

/**
 * Failed logins of one user name (known or not), or failed authentications of one guest user of a VM, within
 * the current window, and a lockout once too many. Its key says whose they are.
 */
export interface LoginFailuresRecord {
  failures: number;
  /**
   * Passwords reserved for checking within the window: the failures plus those being checked right now. A
   * password is checked only after its reservation, and there are never more than the policy allows, so a
   * burst cannot check more passwords than a lockout lets through.
   */
  attempts?: number;
  /** Epoch seconds until which logins are refused, once `failures` reached the limit. */
  lockedUntil?: number;
  /** Epoch seconds: the end of the failure window, or of the lockout. */
  expiresAt: number;
}

/** A logged-in principal, as resolved from a session. Privileges are the ones granted at login. */
export interface SessionRecord {
  tenantId: string;
  sessionHash: string;
  userName: string;
  privileges: Privilege[];
  createdAt: string;
  lastAccessedAt: string;
  /** Epoch seconds: the idle deadline, pushed forward on use. */
  expiresAt: number;
}

export interface VmRecord extends VmSpec {
  tenantId: string;
  moId: string;
  /** When this machine (this instance UUID) was first put in the inventory; kept across replacements of its record. */
  createdAt: string;
  updatedAt: string;
}

/** Where a console connection goes once its ticket is redeemed: the VM's VNC endpoint. */
export interface ConsoleEndpoint {
  host: string;
  port: number;
}

/** A console ticket at rest. The ticket itself is never stored: only its SHA-256 (`ticketHash`). */
export interface TicketRecord {
  tenantId: string;
  ticketHash: string;
  vmMoId: string;
  instanceUuid: string;
  /** What the ticket opens, in the issuing dialect's words: VMRC, WEBMKS, mks, webmks, novnc, ... */
  consoleType: string;
  /** The user the ticket was issued to. */
  issuedTo: string;
  /** A shadow ticket (lib/core/shadows.ts): it opens a read-only view of this open console. */
  shadowOf?: ShadowOf;
  /**
   * What redeeming the ticket grants: the privilege it was issued under. A redeemer asks for the privilege
   * it serves (the screen proxy: ConsoleInteract), so a vim25 `device` or `guestControl` ticket can never
   * open the screen of a VM whose console its holder may not use.
   */
  grants: Privilege;
  vnc: ConsoleEndpoint;
  /** The tenant's session limits when the ticket was issued, carried to the proxy by the redemption. */
  sessionLimits?: { idleTimeoutSeconds: number; maxDurationSeconds: number };
  /** The recording policy in force when the ticket was issued; absent: the console is not recorded. */
  recording?: RecordingPolicy;
  issuedAt: string;
  /** Epoch seconds; 30 minutes after issue unless configured otherwise. */
  expiresAt: number;
}

/** Where a ticket issued to a user is, kept beside the user's sessions so that revoking the user finds it. */
export interface TicketPointerRecord {
  tenantId: string;
  vmMoId: string;
  /** The ticket's own expiry: the pointer goes with it. */
  expiresAt: number;
}

/** A Nova legacy (os-consoles) console: one per server. It holds no secret; passwords are minted per read. */
export interface ConsoleRecord {
  tenantId: string;
  instanceUuid: string;
  /** Nova's integer console id, unique within the tenant. */
  consoleId: number;
  consoleType: string;
  createdAt: string;
}

/**
 * The audit record of one ended console session, as the console proxy reported it (the fields of
 * `ConsoleSessionReportSchema` in lib/protocol/console-proxy.ts, which lib/core/audit.ts stores as this record).
 */
export interface ConsoleSessionRecord {
  sessionId: string;
  tenantId: string;
  vmMoId: string;
  instanceUuid: string;
  consoleType: string;
  principal: string;
  /** First 8 hex of the ticket's SHA-256, never the ticket. */
  ticketFingerprint: string;
  startedAt: string;
  endedAt: string;
  bytesToVm: number;
  bytesFromVm: number;
  endReason: string;
  clientAddress?: string;
  recordedAt: string;
  /** Epoch seconds: the record is kept for the configured retention, then DynamoDB's TTL removes it. */
  expiresAt: number;
}

/** The enrolment of a VM's agent. Only the SHA-256 of the agent credential is stored. */
export interface AgentRecord {
  tenantId: string;
  moId: string;
  credentialHash: string;
  issuedAt: string;
  /** X25519 SPKI PEM, registered by the agent at enrolment; guest credentials are sealed to it. */
  publicKey?: string;
  registeredAt?: string;
  agentVersion?: string;
  lastHeartbeatMs?: number;
  /** The agent's live API Gateway WebSocket connection, while it holds one (work is then pushed to it). */
  connectionId?: string;
  /** When that connection last closed: a heartbeat older than this is no sign of life (the agent pushes, not polls). */
  disconnectedAtMs?: number;
}

/**
 * Guest credentials the VM's agent accepted lately, kept as an scrypt verifier (never the password) for a few
 * minutes, so reads (list, get) need not ask the agent again. Bound to the agent's enrolment.
 */
export interface GuestAuthRecord {
  tenantId: string;
  moId: string;
  userNameHash: string;
  verifier: string;
  agentCredentialHash: string;
  acceptedAt: string;
  expiresAt: number;
}

export interface GuestWorkItem {
  tenantId: string;
  moId: string;
  workId: string;
  operation: WorkPayload['operation'];
  /** The operation with its guest credentials, readable only by the agent's private key. */
  sealed: Sealed;
  createdAt: string;
  expiresAt: number;
}

export interface GuestWorkResultRecord {
  tenantId: string;
  moId: string;
  workId: string;
  outcome: WorkResult['outcome'];
  reason?: Refusal;
  pid?: number;
  expiresAt: number;
}

export interface GuestProcessRecord {
  tenantId: string;
  moId: string;
  pid: number;
  name: string;
  owner: string;
  command: string;
  started: string;
  finished?: string;
  exitCode?: number;
  /** Set only once the process has finished: end time + 300 s. */
  expiresAt?: number;
}

/**
 * A console recording's manifest (lib/core/recordings.ts): written at redemption beside the registry item,
 * completed by the proxy's end report; it expires with the recording's retention (`expiresAt`).
 */
export interface RecordingRecord {
  recordingId: string;
  tenantId: string;
  vmMoId: string;
  instanceUuid: string;
  userName: string;
  sessionId: string;
  consoleType: string;
  clientAddress?: string;
  proxyInstance?: string;
  /** Where the proxy writes its objects: `recordings/<tenant>/<vm>/<recordingId>/`. */
  keyPrefix: string;
  input: boolean;
  mandatory: boolean;
  retentionDays: number;
  state: 'recording' | 'recorded' | 'not recorded' | 'incomplete';
  reason?: string;
  startedAt: string;
  endedAt?: string;
  chunks?: number;
  bytes?: number;
  /** Epoch seconds: startedAt + retentionDays. */
  expiresAt: number;
}

/** A one-time playback token at rest: only its SHA-256 (`tokenHash`). */
export interface PlaybackTokenRecord {
  tenantId: string;
  tokenHash: string;
  recordingId: string;
  vmMoId: string;
  /** Who the link was issued to: a tenant auditor's user name, or `operator`. */
  viewer: string;
  issuedAt: string;
  expiresAt: number;
}

/** What every audit entry holds: its tenant, its VM, when, and until when it is kept (as console session records). */
interface AuditEntry {
  tenantId: string;
  at: string;
  vmMoId: string;
  expiresAt: number;
}

/** A recording started, stopped or played. */
export interface RecordingAuditEvent extends AuditEntry {
  event: 'recording started' | 'recording stopped' | 'recording played';
  recordingId: string;
  /** The user whose console was recorded, and that console's session. */
  userName: string;
  sessionId: string;
  /** `recording stopped`: the outcome. */
  state?: RecordingRecord['state'];
  reason?: string;
  /** `recording played`: who played it, and the playback token's fingerprint. */
  viewer?: string;
  tokenFingerprint?: string;
}

/** A shadow started or ended: who watched (`watcher`: a user of the tenant, or `operator`), which console. */
export interface ShadowAuditEvent extends AuditEntry {
  event: 'shadow started' | 'shadow ended';
  watcher: string;
  /** The shadow's own registry session id. */
  shadowSessionId: string;
  /** The watched console's session id and user. */
  watchedSessionId: string;
  watchedUser: string;
  /** Why it ended (`shadow ended` only). */
  reason?: string;
}

/**
 * An entry of a tenant's audit trail other than a console session's record (those are ConsoleSessionRecord),
 * under the day it happened: recordings and shadows, told apart by `event`.
 */
export type AuditEventRecord = RecordingAuditEvent | ShadowAuditEvent;
