/**
 * The guest agent: our "VMware Tools". A long-running program inside the guest that speaks to the API with
 * its per-VM credential (never to the table). This file is its lifecycle only, wiring parts of one role each:
 *   ./api-client.ts   the agent's HTTP calls           ./transport.ts  push over a WebSocket, or poll
 *   ./work-handler.ts unseal, authenticate, answer     ./supervisor.ts the programs it runs
 *   ./backoff.ts      the one backoff every retry and reconnect uses
 * It enrols a fresh X25519 key (retrying with backoff, and saying why, while the API cannot be reached or
 * another instance is still live), adopts what an earlier instance left running, then starts the transport.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { ClaimedWork } from '../lib/protocol/agent.js';
import { AgentApiClient, failureReason, isAnotherInstanceLive, isTransient } from './api-client.js';
import { Backoff, retry } from './backoff.js';
import { agentOsUserName, canSwitchUsers, isRoot, SETPRIV } from './os-users.js';
import { ProcessSupervisor } from './supervisor.js';
import { WorkTransport } from './transport.js';
import { AGENT_VERSION } from './version.js';
import { WorkHandler, type GuestAccount, type RunAsMode } from './work-handler.js';

export { AGENT_VERSION } from './version.js';
export type { GuestAccount, RunAsMode } from './work-handler.js';

export interface AgentConfig {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000`. */
  apiUrl: string;
  /** The VM's agent credential from `POST /operator/v1/tenants/{t}/vms/{moId}/agent-credentials`. */
  credential: string;
  accounts: GuestAccount[];
  /** Default: `account` when the agent runs as root, else `agent`. */
  runAs?: RunAsMode;
  /** How soon the agent asks for work again after it found some (and the first poll's delay). */
  pollIntervalMs?: number;
  /**
   * While no work comes, each empty poll doubles the delay up to this ceiling, so an idle VM costs the API a
   * call every few seconds rather than two a second; a guest operation then waits at most this long to start.
   */
  maxPollIntervalMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * `websocket` (the default): work is pushed over a WebSocket to the API's WebSocket API, with HTTP polling
   * only while none can be held; `poll`: HTTP polling only (e.g. behind a proxy that forbids WebSockets).
   */
  transport?: 'websocket' | 'poll';
  /** The WebSocket API's URL; by default the one the API names at enrolment. */
  websocketUrl?: string;
  /** The health message on the WebSocket: a sign of life, and below API Gateway's 10-minute idle timeout. */
  healthIntervalMs?: number;
  /** A connection is replaced after this long, before API Gateway's 2-hour cut. */
  renewAfterMs?: number;
  /** The reconnect delay's window starts here and doubles with each failure, up to the cap (full jitter). */
  reconnectBaseMs?: number;
  reconnectCapMs?: number;
  /** Failed attempts to open the WebSocket in a row after which the agent polls over HTTP meanwhile. */
  fallbackAfterFailures?: number;
  /** Enrolment while the API cannot be reached: the retry delay's window starts here and doubles up to the cap. */
  enrolRetryBaseMs?: number;
  enrolRetryCapMs?: number;
  /** Programs running at once before new starts are refused as busy. */
  maxProcesses?: number;
  /** How long a terminated process gets between SIGTERM and SIGKILL. */
  terminateGraceMs?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

type Options = Required<Omit<AgentConfig, 'log' | 'websocketUrl'>> & Pick<AgentConfig, 'websocketUrl'>;

export class GuestAgent {
  private readonly options: Options;
  private readonly client: AgentApiClient;
  private readonly supervisor: ProcessSupervisor;
  private readonly handler: WorkHandler;
  private transport?: WorkTransport;
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = new AbortController();
  private readonly log: (message: string, fields?: Record<string, unknown>) => void;

  constructor(config: AgentConfig) {
    this.options = {
      runAs: isRoot() ? 'account' : 'agent',
      pollIntervalMs: 500,
      maxPollIntervalMs: 10_000,
      heartbeatIntervalMs: 10_000,
      transport: 'websocket',
      healthIntervalMs: 9 * 60_000,
      renewAfterMs: 110 * 60_000,
      reconnectBaseMs: 1000,
      reconnectCapMs: 5 * 60_000,
      fallbackAfterFailures: 3,
      enrolRetryBaseMs: 1000,
      enrolRetryCapMs: 60_000,
      maxProcesses: 32,
      terminateGraceMs: 2000,
      ...config,
    };
    const log = config.log ?? (() => undefined);
    this.log = log;
    this.client = new AgentApiClient(this.options.apiUrl, this.options.credential);
    this.supervisor = new ProcessSupervisor({
      maxProcesses: this.options.maxProcesses,
      terminateGraceMs: this.options.terminateGraceMs,
      onAdoptedExit: (exit) => this.handler.reportExit(exit),
      log,
    });
    this.handler = new WorkHandler({ client: this.client, supervisor: this.supervisor, accounts: this.options.accounts, runAs: this.options.runAs, log });
  }

  /**
   * Enrols (a new key pair on every start: the private key never leaves this process) and starts the
   * transport. Resolves once enrolled: while the API cannot be reached it keeps trying, with backoff.
   */
  async start(): Promise<void> {
    this.announceIsolation();
    this.stopping = new AbortController();
    const { publicKey, privateKey } = generateKeyPairSync('x25519');
    const registration = await this.enrol(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const { tenantId, moId, running, websocketUrl } = registration;
    this.handler.enrolled({ tenantId, moId, privateKey });
    this.log('enrolled', { tenantId, moId, agentVersion: AGENT_VERSION });
    await this.supervisor.adopt(running ?? []);
    const { transport, heartbeatIntervalMs, pollIntervalMs, maxPollIntervalMs, healthIntervalMs, renewAfterMs } = this.options;
    const { reconnectBaseMs, reconnectCapMs, fallbackAfterFailures, credential } = this.options;
    this.transport = new WorkTransport({
      client: this.client,
      credential,
      mode: transport,
      websocketUrl: this.options.websocketUrl ?? websocketUrl,
      healthIntervalMs,
      renewAfterMs,
      reconnectBaseMs,
      reconnectCapMs,
      fallbackAfterFailures,
      pollIntervalMs,
      maxPollIntervalMs,
      heartbeatIntervalMs,
      heartbeat: () => this.heartbeat(),
      onHealth: () => void this.track(this.supervisor.reportAdoptedExits()).catch(() => undefined),
      onWork: (work) => void this.handleWork(work),
      track: (promise) => this.track(promise),
      log: this.log,
    });
    this.transport.start();
  }

  /** Stops heartbeating and claiming ("VMware Tools stopped"); programs already started keep running. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.transport?.stop();
    this.transport = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /** "VMware Tools is running", with its version; then the adopted programs that ended are reported. */
  async heartbeat(): Promise<void> {
    await this.client.heartbeat(AGENT_VERSION);
    await this.supervisor.reportAdoptedExits();
  }

  /** Claims and handles waiting work until there is none; returns how many items it took. */
  pollOnce(): Promise<number> {
    if (!this.transport) throw new Error('The agent is not started.');
    return this.transport.claimWaiting();
  }

  /**
   * Registration, tried until it succeeds or the agent stops: while the API cannot be reached or fails (it
   * may be down at boot), with the shared backoff, saying why; while another instance of this VM's agent is
   * live (the API refuses a second key), every heartbeat interval until its heartbeat goes stale. A refusal
   * of the credential itself is said plainly and retried slowly: a newly issued one may be put in place.
   */
  private enrol(publicKey: string) {
    const { enrolRetryBaseMs, enrolRetryCapMs, heartbeatIntervalMs } = this.options;
    const unreachable = new Backoff({ baseMs: enrolRetryBaseMs, capMs: enrolRetryCapMs });
    const liveInstance = new Backoff({ baseMs: heartbeatIntervalMs, capMs: heartbeatIntervalMs, jitter: false });
    const refused = new Backoff({ baseMs: enrolRetryCapMs, capMs: enrolRetryCapMs });
    return retry(() => this.client.register(publicKey, AGENT_VERSION), {
      signal: this.stopping.signal,
      delayMs: (error) => (isAnotherInstanceLive(error) ? liveInstance : isTransient(error) ? unreachable : refused).next(),
      onRetry: (error, delayMs) => {
        if (isAnotherInstanceLive(error)) this.log('another instance of this agent is live; waiting for its heartbeat to go stale');
        else if (isTransient(error)) this.log(`could not reach the API to enrol; retrying in ${delayMs} ms`, { reason: failureReason(error) });
        else this.log(`the API refused the enrolment; retrying in ${delayMs} ms`, { reason: failureReason(error) });
      },
    });
  }

  private handleWork(work: ClaimedWork): Promise<void> {
    return this.track(this.handler.handle(work)).catch((error: unknown) => this.log('agent call failed', { error: String(error) }));
  }

  /** Says at start, plainly, whether guest accounts are isolated from each other and from the agent. */
  private announceIsolation(): void {
    if (this.options.runAs === 'account') {
      if (!isRoot()) throw new Error("runAs 'account' (each guest account as its own OS user) needs the agent to run as root.");
      if (!canSwitchUsers()) throw new Error(`runAs 'account' needs ${SETPRIV} (util-linux) to switch users.`);
      this.log("each guest account's programs run as its own OS user (uid, gid, groups, home)", { runAs: 'account' });
    } else {
      this.log(
        `not isolated: every guest account's programs run as the agent's own OS user (${agentOsUserName()}); ` +
          "they can read the agent's memory and files, including its credential, and end each other's programs",
        { runAs: 'agent' },
      );
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }
}
