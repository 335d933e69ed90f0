import type { Refusal, WorkPayload, WorkResult } from '../protocol/agent.js';
import type { Sealed } from '../protocol/sealing.js';

/**
 * The records of guest operations ("VMware Tools"). The roles live in ./guest/: the agent's own calls
 * (agent-calls.ts), "tools running" (tools.ts), the vSphere operations (operations.ts), the guest-credential
 * verifier cache and lockout (credentials.ts), and the hand-off of work to the agent (handoff.ts, its
 * table-and-poll adapter in table-handoff.ts).
 */

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

/** Who is calling on an agent endpoint. */
export interface AgentIdentity {
  tenantId: string;
  moId: string;
  credentialHash: string;
}

export type GuestOperation = WorkPayload['operation'];

export interface GuestWorkItem {
  tenantId: string;
  moId: string;
  workId: string;
  operation: GuestOperation;
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
