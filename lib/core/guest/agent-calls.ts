import { randomBytes } from 'node:crypto';
import { config } from '../../config.js';
import { logger } from '../../log.js';
import * as Metrics from '../../metrics.js';
import type { AgentRegistration, ClaimedWork, ProcessExit, WorkResult } from '../../protocol/agent.js';
import { parseAgentPublicKey } from '../../protocol/sealing.js';
import * as store from '../../store/index.js';
import { isoNow, nowMs } from '../clock.js';
import { InvalidArgument, NotAllowedInCurrentState, NotFound, Unauthenticated } from '../errors.js';
import type { AgentIdentity } from './identity.js';
import { getVm } from '../inventory.js';
import { isServing } from '../serving.js';
import { requireLiveTenant } from '../tenants.js';
import { MoIdSchema, TenantIdSchema } from '../model.js';
import { digestsEqual, fingerprint, sha256Hex } from '../../protocol/secrets.js';
import { answerWork, claimOldestWork } from './table-handoff.js';
import { liveSince } from './tools.js';
import { closeConnection } from './connections.js';
import { guestUserOfWork } from './work.js';
import { countFailure } from '../sessions.js';

/**
 * The agent's own calls: its credential (issued by the operator), enrolment, heartbeat, claiming work and
 * reporting results and process exits. The agent speaks HTTP with its per-VM credential, never to the table.
 */

/** A finished process stays visible this long after it ends (vSphere's documented retention). */
export const FINISHED_PROCESS_RETENTION_SECONDS = 300;

/**
 * `<tenant>.<moId>.<32 random bytes base64url>`: the tenant and VM in the clear select the one item to
 * compare against; only the SHA-256 of the random part is stored.
 */
const AGENT_CREDENTIAL = /^([a-z0-9][a-z0-9-]{0,62})\.([A-Za-z0-9][A-Za-z0-9._-]{0,79})\.([A-Za-z0-9_-]{43})$/;

export interface IssuedAgentCredential {
  credential: string;
  tenantId: string;
  moId: string;
  issuedAt: string;
  fingerprint: string;
}

/** Issues the VM's agent credential, shown once; issuing again revokes the previous one and its key. */
export async function issueAgentCredential(tenantId: string, moId: string): Promise<IssuedAgentCredential> {
  // A tenant being deleted gets no new credential: the drain would remove the VM after its guest state.
  await requireLiveTenant(tenantId);
  await getVm(tenantId, moId);
  const random = randomBytes(32).toString('base64url');
  const credentialHash = sha256Hex(random);
  const issuedAt = isoNow();
  const replaced = await store.putAgent({ tenantId, moId, credentialHash, issuedAt });
  // The old credential's connection would keep receiving notices: it is closed (its $disconnect then finds
  // the enrolment replaced and changes nothing).
  if (replaced?.connectionId) await closeConnection(replaced.connectionId);
  // A VM deleted meanwhile must not leave an enrolment that a later VM of the same moId would inherit.
  await getVm(tenantId, moId).catch(async (error: unknown) => {
    await store.deleteAgent(tenantId, moId);
    throw error;
  });
  return { credential: `${tenantId}.${moId}.${random}`, tenantId, moId, issuedAt, fingerprint: fingerprint(credentialHash) };
}

export async function authenticateAgent(credential: string | undefined): Promise<AgentIdentity> {
  const match = credential ? AGENT_CREDENTIAL.exec(credential) : null;
  const [, tenantId, moId, random] = match ?? [];
  if (!tenantId || !moId || !random || !TenantIdSchema.safeParse(tenantId).success || !MoIdSchema.safeParse(moId).success) {
    throw Unauthenticated('A valid agent credential is required.');
  }
  const credentialHash = sha256Hex(random);
  // A tenant being deleted has no agents: its credentials stop at DELETE's 202, like its sessions.
  const { agent, tenant } = await store.getAgentAndTenant(tenantId, moId);
  if (!agent || !isServing(tenant) || !digestsEqual(credentialHash, agent.credentialHash)) {
    throw Unauthenticated('A valid agent credential is required.');
  }
  return { tenantId, moId, credentialHash };
}

/**
 * Enrolment: the agent registers the public key its guest credentials will be sealed to. Refused while
 * another instance holding the same credential is live (a heartbeat within the bound): a new key would
 * take over the guest credentials sealed to the VM, which is what a stolen credential would be used for.
 * A restarted agent waits until the earlier instance's heartbeat is stale; issuing a new credential
 * starts the enrolment over at once.
 */
export async function registerAgent(agent: AgentIdentity, publicKey: string, agentVersion: string): Promise<AgentRegistration> {
  if (!parseAgentPublicKey(publicKey)) {
    throw InvalidArgument('publicKey must be an X25519 public key in SPKI PEM form.', { field: 'publicKey' });
  }
  const vm = await getVm(agent.tenantId, agent.moId);
  const registeredAt = isoNow();
  const now = nowMs();
  const changes = { publicKey, registeredAt, agentVersion, lastHeartbeatMs: now };
  if (!(await store.updateAgent({ agent, changes, unlessLiveSince: liveSince() }))) {
    const current = await store.getAgent(agent.tenantId, agent.moId);
    if (current?.credentialHash !== agent.credentialHash) throw credentialRevoked();
    logger.warn('agent registration refused: another instance is live', {
      tenant: agent.tenantId,
      vm: agent.moId,
      credential: fingerprint(agent.credentialHash),
    });
    throw NotAllowedInCurrentState(
      `Another instance of the agent of ${agent.moId} is live (it heartbeat within ${config.guestAgentHeartbeatTimeoutSeconds()} s); ` +
        'a new key is accepted once its heartbeat is stale, or under a newly issued credential.',
      { state: 'agent_live' },
    );
  }
  const running = (await store.listProcesses(agent.tenantId, agent.moId))
    .filter((process) => !process.finished)
    .map(({ pid, owner }) => ({ pid, owner }));
  const websocketUrl = config.agentWebsocketUrl();
  return { tenantId: agent.tenantId, moId: agent.moId, guestOsFamily: vm.guestOsFamily, registeredAt, running, ...(websocketUrl ? { websocketUrl } : {}) };
}

/** A heartbeat, with the version the agent runs (absent from agents older than the field). */
export async function recordHeartbeat(agent: AgentIdentity, agentVersion?: string): Promise<void> {
  if (!(await store.updateAgent({ agent, changes: { lastHeartbeatMs: nowMs(), agentVersion } }))) {
    throw credentialRevoked();
  }
}

const credentialRevoked = () => Unauthenticated('The agent credential was revoked.');

/**
 * Claims a work item of the agent's VM: the one a notice named (one conditional DeleteItem, the same that
 * decides claim versus withdrawal), or else the oldest waiting; `undefined` when there is none.
 */
export async function claimWork(agent: AgentIdentity, workId?: string): Promise<ClaimedWork | undefined> {
  const work = workId === undefined ? await claimOldestWork(agent.tenantId, agent.moId) : await store.takeWork(agent.tenantId, agent.moId, workId);
  return work && { workId: work.workId, operation: work.operation, sealed: work.sealed };
}

/**
 * `$connect`: the agent's connection, authenticated by its credential (the authorizer), becomes the VM's one
 * connection; one it replaces (an earlier instance's, or this agent's before renewal) is closed.
 */
export async function connectAgent(agent: AgentIdentity, connectionId: string): Promise<void> {
  const recorded = await store.recordConnection({ agent, connectionId, nowMs: nowMs() });
  if (!recorded) throw credentialRevoked();
  if (recorded.replaced) await closeConnection(recorded.replaced);
  Metrics.agentConnected();
  logger.info('agent connected', { tenant: agent.tenantId, vm: agent.moId, credential: fingerprint(agent.credentialHash) });
}

/** `$disconnect`: the connection is forgotten, unless a newer one of the VM replaced it. */
export async function disconnectAgent(agent: AgentIdentity, connectionId: string): Promise<void> {
  await store.clearConnection(agent, connectionId, nowMs());
  Metrics.agentDisconnected();
}

/** The agent's health message on its connection ("VMware Tools is running"). */
export async function recordHealth(agent: AgentIdentity, connectionId: string): Promise<void> {
  if (!(await store.recordConnectionHealth({ agent, connectionId, nowMs: nowMs() }))) {
    throw credentialRevoked();
  }
  Metrics.agentLive();
}

/**
 * The agent's answer to a claimed item; a started process is recorded, and the guest user's password check
 * settled, before the waiting caller sees it — and whether or not anyone still waits: a refusal of the
 * credentials counts towards the lockout, any other answer gives the reserved check back.
 */
export async function reportWorkResult(agent: AgentIdentity, result: WorkResult): Promise<void> {
  if (result.outcome === 'started') {
    await store.putProcess({ tenantId: agent.tenantId, moId: agent.moId, ...result.process });
  }
  const guestUser = guestUserOfWork(result.workId);
  if (guestUser !== undefined) {
    const counter = store.guestFailuresOf(agent.tenantId, agent.moId, guestUser);
    if (result.outcome === 'refused' && result.reason === 'invalid_credentials') await countFailure(counter);
    else await store.releaseAttempt(counter);
  }
  await answerWork({
    tenantId: agent.tenantId,
    moId: agent.moId,
    workId: result.workId,
    outcome: result.outcome,
    reason: result.outcome === 'refused' ? result.reason : undefined,
    pid: result.outcome === 'started' ? result.process.pid : undefined,
  });
}

/** A process ended: from now it is listed for five minutes more, then it is gone. */
export async function reportProcessExit(agent: AgentIdentity, exit: ProcessExit): Promise<void> {
  // The agent's end time, but never in the future: a skewed guest clock must not extend retention.
  const finishedMs = Math.min(Date.parse(exit.finished), nowMs());
  const expiresAt = Math.floor(finishedMs / 1000) + FINISHED_PROCESS_RETENTION_SECONDS;
  const finished = new Date(finishedMs).toISOString();
  const known = await store.finishProcess({ tenantId: agent.tenantId, moId: agent.moId, pid: exit.pid, finished, exitCode: exit.exitCode, expiresAt });
  if (!known) throw NotFound(`Process ${exit.pid} is not a running process of ${agent.moId}.`);
}
