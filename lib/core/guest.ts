import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { config } from '../config.js';
import type { AgentRecord, GuestAuthRecord, GuestProcessRecord, GuestWorkResultRecord, LoginFailuresRecord, SessionRecord, VmRecord } from '../records.js';
import * as store from '../store/index.js';
import { isoNow, nowMs, nowSeconds } from './clock.js';
import { logger } from '../log.js';
import { DomainError, InvalidArgument, isDomainError, NotAllowedInCurrentState, NotFound, Unauthenticated, Unauthorized, UnavailableBecause } from './errors.js';
import {
  parseAgentPublicKey,
  seal,
  workBinding,
  type GuestCredentials,
  type ProcessExit,
  type ProgramSpec,
  type Refusal,
  type Sealed,
  type WorkPayload,
  type WorkResult,
} from './guest-sealing.js';
import { getVm } from './inventory.js';
import { MoIdSchema, TenantIdSchema } from './model.js';
import type { Privilege } from './privileges.js';
import { digestsEqual, fingerprint, hashPassword, sha256Hex, verifyPassword } from './secrets.js';
import { countFailure, isLockedOut } from './sessions.js';
import { requirePrivilege } from './access.js';

/**
 * Guest operations ("VMware Tools"): the API never touches the guest. It seals the operation to the VM's
 * own agent (agent/), puts it in the table as a work item, and waits a bounded time for the agent's
 * answer. The agent polls for work over HTTP with its per-VM credential, claims an item by deleting it,
 * does the work, and reports back; a finished process stays listed for five minutes.
 */

/** A finished process stays visible this long after it ends (vSphere's documented retention). */
export const FINISHED_PROCESS_RETENTION_SECONDS = 300;

/** Who is calling on an agent endpoint. */
export interface AgentIdentity {
  tenantId: string;
  moId: string;
  credentialHash: string;
}

export type GuestOperation = WorkPayload['operation'];


// ---- agent credentials and the agent's own calls ----

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
  await getVm(tenantId, moId);
  const random = randomBytes(32).toString('base64url');
  const credentialHash = sha256Hex(random);
  const issuedAt = isoNow();
  await store.putAgent({ tenantId, moId, credentialHash, issuedAt });
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
  const agent = await store.getAgent(tenantId, moId);
  if (!agent || !digestsEqual(credentialHash, agent.credentialHash)) throw Unauthenticated('A valid agent credential is required.');
  return { tenantId, moId, credentialHash };
}

export interface AgentRegistration {
  tenantId: string;
  moId: string;
  guestOsFamily: VmRecord['guestOsFamily'];
  registeredAt: string;
  /** Programs the table lists as running: started by an earlier agent instance, whose end no one reported. */
  running: { pid: number; owner: string }[];
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
  const liveSince = now - heartbeatBoundMs();
  if (!(await store.updateAgent(agent.tenantId, agent.moId, agent.credentialHash, changes, liveSince))) {
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
  return { tenantId: agent.tenantId, moId: agent.moId, guestOsFamily: vm.guestOsFamily, registeredAt, running };
}

export async function recordHeartbeat(agent: AgentIdentity): Promise<void> {
  if (!(await store.updateAgent(agent.tenantId, agent.moId, agent.credentialHash, { lastHeartbeatMs: nowMs() }))) {
    throw credentialRevoked();
  }
}

const credentialRevoked = () => Unauthenticated('The agent credential was revoked.');

export interface ClaimedWork {
  workId: string;
  operation: GuestOperation;
  sealed: Sealed;
}

/** Claims the oldest live work item for the agent's VM; `undefined` when there is none. */
export async function claimWork(agent: AgentIdentity): Promise<ClaimedWork | undefined> {
  for (const workId of await store.listWorkIds(agent.tenantId, agent.moId)) {
    const work = await store.takeWork(agent.tenantId, agent.moId, workId);
    if (work) return { workId: work.workId, operation: work.operation, sealed: work.sealed };
  }
  return undefined;
}

/** The agent's answer to a claimed item; a started process is recorded before the waiting caller sees it. */
export async function reportWorkResult(agent: AgentIdentity, result: WorkResult): Promise<void> {
  if (result.outcome === 'started') {
    await store.putProcess({ tenantId: agent.tenantId, moId: agent.moId, ...result.process });
  }
  await store.putWorkResult({
    tenantId: agent.tenantId,
    moId: agent.moId,
    workId: result.workId,
    outcome: result.outcome,
    reason: result.outcome === 'refused' ? result.reason : undefined,
    pid: result.outcome === 'started' ? result.process.pid : undefined,
    expiresAt: nowSeconds() + waitBoundSeconds(),
  });
}

/** A process ended: from now it is listed for five minutes more, then it is gone. */
export async function reportProcessExit(agent: AgentIdentity, exit: ProcessExit): Promise<void> {
  // The agent's end time, but never in the future: a skewed guest clock must not extend retention.
  const finishedMs = Math.min(Date.parse(exit.finished), nowMs());
  const expiresAt = Math.floor(finishedMs / 1000) + FINISHED_PROCESS_RETENTION_SECONDS;
  const known = await store.finishProcess(agent.tenantId, agent.moId, exit.pid, new Date(finishedMs).toISOString(), exit.exitCode, expiresAt);
  if (!known) throw NotFound(`Process ${exit.pid} is not a running process of ${agent.moId}.`);
}

// ---- the vSphere operations ----

export interface CreateProcessOptions {
  startMinimized?: boolean;
}

/** vcenter.vm.guest.Processes.create: starts a program in the guest and returns its real pid. */
export async function createProcess(
  session: SessionRecord,
  vm: VmRecord,
  credentials: GuestCredentials,
  spec: ProgramSpec,
  options: CreateProcessOptions = {},
): Promise<number> {
  const { agent, failures } = await guestReady(session, vm, 'VirtualMachine.GuestOperations.Execute', credentials, () => {
    if (options.startMinimized && vm.guestOsFamily !== 'windows') {
      throw InvalidArgument('start_minimized is only supported for Windows guests.', { field: 'spec.start_minimized' });
    }
  });
  const result = await runCheckingCredentials(agent, failures, { operation: 'start', credentials, spec });
  if (result.pid === undefined) throw new DomainError('internal', 'The agent reported a start without a pid.');
  await rememberGuestAuth(agent, credentials);
  return result.pid;
}

/**
 * vcenter.vm.guest.Processes.list: the processes started through the API, finished ones for 5 minutes.
 * With credentials the agent accepted lately: the session read, one BatchGetItem and one Query.
 */
export async function listProcesses(
  session: SessionRecord,
  vm: VmRecord,
  credentials: GuestCredentials,
): Promise<GuestProcessRecord[]> {
  checkGuestRequest(session, vm, 'VirtualMachine.GuestOperations.Query');
  const { agent, auth, failures } = await store.getGuestState(vm.tenantId, vm.moId, userNameHashOf(credentials));
  await authenticateGuest(requireToolsRunning(vm, agent), auth, failures, credentials);
  const processes = await store.listProcesses(vm.tenantId, vm.moId);
  return processes.sort((a, b) => a.started.localeCompare(b.started) || a.pid - b.pid);
}

/**
 * vcenter.vm.guest.Processes.get. With credentials the agent accepted lately, two round trips in all: the
 * session and VM, then the agent, the verifier and the process in one BatchGetItem.
 */
export async function getProcess(
  session: SessionRecord,
  vm: VmRecord,
  credentials: GuestCredentials,
  pid: number,
): Promise<GuestProcessRecord> {
  checkGuestRequest(session, vm, 'VirtualMachine.GuestOperations.Query');
  const state = await store.getGuestState(vm.tenantId, vm.moId, userNameHashOf(credentials), pid);
  const askedAgent = await authenticateGuest(requireToolsRunning(vm, state.agent), state.auth, state.failures, credentials);
  // After a round trip through the agent the process may have moved on: read it again.
  const process = askedAgent ? await store.getProcess(vm.tenantId, vm.moId, pid) : state.process;
  if (!process) throw processNotFound(pid);
  return process;
}

/** vcenter.vm.guest.Processes.delete: SIGTERM, then SIGKILL if the process does not end. */
export async function terminateProcess(
  session: SessionRecord,
  vm: VmRecord,
  credentials: GuestCredentials,
  pid: number,
): Promise<void> {
  const { agent, failures } = await guestReady(session, vm, 'VirtualMachine.GuestOperations.Execute', credentials);
  await runCheckingCredentials(agent, failures, { operation: 'terminate', credentials, pid });
  await rememberGuestAuth(agent, credentials);
}

const processNotFound = (pid: number) =>
  NotFound(`Process ${pid} was not found in the guest.`, { object: { type: 'GuestProcess', id: String(pid) } });

type RunningAgent = Required<Pick<AgentRecord, 'publicKey'>> & AgentRecord;

/** The checks every guest operation makes before the tools, in vSphere's order: privilege, request, power state. */
function checkGuestRequest(session: SessionRecord, vm: VmRecord, privilege: Privilege, validateRequest?: () => void): void {
  requirePrivilege(session, privilege, vm);
  validateRequest?.();
  if (vm.powerState !== 'poweredOn') {
    throw NotAllowedInCurrentState(`Virtual machine ${vm.moId} is not running.`, { state: vm.powerState });
  }
}

/** "VMware Tools running": the VM's agent enrolled and heartbeating within the bound. */
const isToolsRunning = (agent: AgentRecord | undefined): agent is RunningAgent =>
  agent?.publicKey !== undefined && agent.lastHeartbeatMs !== undefined && nowMs() - agent.lastHeartbeatMs <= heartbeatBoundMs();

function requireToolsRunning(vm: VmRecord, agent: AgentRecord | undefined): RunningAgent {
  if (!isToolsRunning(agent)) throw UnavailableBecause(`VMware Tools is not running in ${vm.moId}.`);
  return agent;
}

export interface ToolsStatus {
  running: boolean;
  /** The version the VM's agent registered with, once it has. */
  agentVersion?: string;
}

/** vcenter.vm.Tools.get: whether the VM's agent runs (a powered-on VM, heartbeating within the bound), one GetItem. */
export async function toolsStatus(vm: VmRecord): Promise<ToolsStatus> {
  const agent = await store.getAgent(vm.tenantId, vm.moId);
  return { running: vm.powerState === 'poweredOn' && isToolsRunning(agent), agentVersion: agent?.agentVersion };
}

const heartbeatBoundMs = () => config.guestAgentHeartbeatTimeoutSeconds() * 1000;

/** The request checks, then the VM's agent, enrolled and heartbeating, and the guest user's recent failures. */
async function guestReady(
  session: SessionRecord,
  vm: VmRecord,
  privilege: Privilege,
  credentials: GuestCredentials,
  validateRequest?: () => void,
): Promise<{ agent: RunningAgent; failures?: LoginFailuresRecord }> {
  checkGuestRequest(session, vm, privilege, validateRequest);
  const { agent, failures } = await store.getGuestState(vm.tenantId, vm.moId, userNameHashOf(credentials));
  return { agent: requireToolsRunning(vm, agent), failures };
}

// ---- guest credentials: the agent decides; what it accepted is remembered briefly, as a verifier ----

/** Verifiers live minutes and are checked on a request path: a quarter of the login cost (N=2^12). */
const GUEST_VERIFIER_COST = 4096;

const userNameHashOf = (credentials: GuestCredentials) => sha256Hex(`${credentials.type}:${credentials.userName ?? ''}`);

/**
 * Accepts credentials the agent accepted lately (same user, same password, same agent enrolment);
 * otherwise asks the agent, which decides. @returns whether the agent was asked.
 */
async function authenticateGuest(
  agent: RunningAgent,
  auth: GuestAuthRecord | undefined,
  failures: LoginFailuresRecord | undefined,
  credentials: GuestCredentials,
): Promise<boolean> {
  if (isLockedOut(failures)) throw guestLocked();
  const remembered =
    config.guestAuthCacheSeconds() > 0 &&
    auth !== undefined &&
    credentials.type === 'USERNAME_PASSWORD' &&
    credentials.password !== undefined &&
    auth.agentCredentialHash === agent.credentialHash &&
    (await verifyPassword(credentials.password, auth.verifier));
  if (remembered) return false;
  await runCheckingCredentials(agent, failures, { operation: 'authenticate', credentials });
  await rememberGuestAuth(agent, credentials);
  return true;
}

async function rememberGuestAuth(agent: AgentRecord, credentials: GuestCredentials): Promise<void> {
  const seconds = config.guestAuthCacheSeconds();
  if (!seconds || credentials.type !== 'USERNAME_PASSWORD' || credentials.password === undefined) return;
  await store.putGuestAuth({
    tenantId: agent.tenantId,
    moId: agent.moId,
    userNameHash: userNameHashOf(credentials),
    verifier: await hashPassword(credentials.password, GUEST_VERIFIER_COST),
    agentCredentialHash: agent.credentialHash,
    acceptedAt: isoNow(),
    expiresAt: nowSeconds() + seconds,
  });
}

const guestLocked = () =>
  Unauthenticated('The guest account is temporarily locked after repeated failed authentications; try again later.');

/**
 * Runs an operation whose guest credentials the agent checks, under the login lockout's policy per VM and
 * guest user name: each refusal counts as a failed login, and a locked name is refused before the agent is
 * asked, so guessing costs the guesser the lockout, not the guest one more check.
 */
async function runCheckingCredentials(
  agent: RunningAgent,
  failures: LoginFailuresRecord | undefined,
  payload: WorkPayload,
): Promise<GuestWorkResultRecord> {
  if (isLockedOut(failures)) throw guestLocked();
  const failuresName = store.guestLoginFailuresName(agent.moId, userNameHashOf(payload.credentials));
  let result: GuestWorkResultRecord;
  try {
    result = await runOnAgent(agent, payload);
  } catch (error) {
    if (isDomainError(error) && error.kind === 'unauthenticated') await countFailure(agent.tenantId, failuresName);
    throw error;
  }
  if (failures) await store.clearLoginFailures(agent.tenantId, failuresName, failures);
  return result;
}

const waitBoundSeconds = () => Math.ceil(config.guestOperationTimeoutMs() / 1000) + 5;

/** Work ids sort by creation time (the agent claims oldest first) and are unguessable. */
const newWorkId = () => `${nowMs().toString(36).padStart(9, '0')}-${randomBytes(8).toString('hex')}`;


/**
 * Hands an operation to the agent and waits for its answer, polling the store with backoff up to the
 * configured bound (in real time, so the Lambda never hangs). On giving up nothing is left half-done: an
 * unclaimed item is withdrawn with the same conditional delete an agent claims with, so exactly one of
 * the two wins; a claimed item is the agent's to finish, and whatever it starts is still recorded.
 */
async function runOnAgent(agent: AgentRecord & { publicKey: string }, payload: WorkPayload): Promise<GuestWorkResultRecord> {
  const { tenantId, moId } = agent;
  const workId = newWorkId();
  await store.putWork({
    tenantId,
    moId,
    workId,
    operation: payload.operation,
    sealed: seal(agent.publicKey, JSON.stringify(payload), workBinding(tenantId, moId, workId)),
    createdAt: isoNow(),
    expiresAt: nowSeconds() + waitBoundSeconds(),
  });
  const deadline = Date.now() + config.guestOperationTimeoutMs();
  for (let delayMs = 20; ; delayMs = Math.min(delayMs * 2, 400)) {
    const result = await store.takeWorkResult(tenantId, moId, workId);
    if (result) return answered(result, payload);
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await sleep(Math.min(delayMs, remaining));
  }
  if (await store.takeWork(tenantId, moId, workId)) {
    throw UnavailableBecause(`VMware Tools in ${moId} did not take up the operation in time.`);
  }
  const late = await store.takeWorkResult(tenantId, moId, workId);
  if (late) return answered(late, payload);
  throw new DomainError('resource_busy', 'The guest operation did not complete in time; the virtual machine is busy.');
}

function answered(result: GuestWorkResultRecord, payload: WorkPayload): GuestWorkResultRecord {
  if (result.outcome !== 'refused') return result;
  throw refusalError(result.reason ?? 'failed_to_start', payload);
}

function refusalError(reason: Refusal, payload: WorkPayload): DomainError {
  switch (reason) {
    case 'invalid_credentials':
      return Unauthenticated('Failed to authenticate with the guest operating system using the supplied credentials.');
    case 'path_not_accessible':
      return Unauthorized('The program path cannot be accessed in the guest.', { field: 'spec.path' });
    case 'permission_denied':
      return Unauthorized('The guest credentials do not permit this operation.');
    case 'failed_to_start':
      return new DomainError('unable_to_allocate_resource', 'The program could not be started in the guest.');
    case 'busy':
      return new DomainError('resource_busy', 'The virtual machine is busy; retry later.');
    case 'process_not_found':
      return processNotFound(payload.operation === 'terminate' ? payload.pid : 0);
    case 'unsupported':
      return new DomainError('unsupported', 'The operation is not supported by VMware Tools in the guest.');
  }
}
