/**
 * The guest agent: our "VMware Tools". A long-running program inside the guest that speaks to the API with
 * its per-VM credential (never to the table): it enrols a fresh X25519 key, holds a WebSocket over which work
 * is announced (./push-channel.ts; where it cannot, it heartbeats and polls over HTTP instead), claims work
 * for its VM, really starts programs through /bin/bash, reports their pid and exit, and terminates them on
 * request. Guest credentials reach it sealed to its key and are checked against its own accounts.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { basename, isAbsolute } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AgentPaths,
  WorkPayloadSchema,
  type AgentRegistration,
  type ClaimedWork,
  type GuestCredentials,
  type ProcessInfo,
  type ProgramSpec,
  type Refusal,
  type WorkPayload,
  type WorkResult,
  workBinding,
} from '../lib/protocol/agent.js';
import { open } from '../lib/protocol/sealing.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../lib/protocol/secrets.js';
import { PushChannel } from './push-channel.js';
import { agentOsUserName, canSwitchUsers, isRoot, runAsAgentUser, runAsOsUser, SETPRIV, type RunAs } from './os-users.js';

export const AGENT_VERSION = '1.0.0';

/** A guest account the agent accepts; only a scrypt hash of its password is configured. */
export interface GuestAccount {
  userName: string;
  /** `scrypt$N$r$p$salt$key`, e.g. from `npx tsx agent/main.ts hash-password <password>`. */
  passwordHash: string;
  /** The OS user its programs run as when the agent runs as root (default: `userName`). */
  osUser?: string;
  /** Without root only: the default working directory of its programs (as root: the OS user's home). */
  home?: string;
}

/**
 * `account`: each guest account's programs run as its own OS user (needs root), as VMware Tools does.
 * `agent`: every account's programs run as the agent's own user, not isolated from each other or the agent.
 */
export type RunAsMode = 'account' | 'agent';

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
  /** Programs running at once before new starts are refused as busy. */
  maxProcesses?: number;
  /** How long a terminated process gets between SIGTERM and SIGKILL. */
  terminateGraceMs?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

class ApiError extends Error {
  /** The vAPI `error_type` of the answer, if it has one. */
  readonly errorType?: string;

  constructor(readonly status: number, text: string) {
    super(`API answered ${status}: ${text.slice(0, 200)}`);
    try {
      this.errorType = (JSON.parse(text) as { error_type?: string }).error_type;
    } catch {
      // not a vAPI error body
    }
  }
}

/** Whether a process with this pid exists (signal 0 checks without signalling; EPERM: it exists, not ours). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signals the program's process group (programs start as group leaders), else the process alone. */
function signalProgram(pid: number, name: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, name);
      return;
    } catch {
      // not a group leader, or already gone
    }
  }
}

/** As the guest OS would have it: only the account that started a program, or root, may end it. */
const mayEnd = (owner: string, userName: string) => owner === userName || userName === 'root';

interface StartedProgram {
  info: ProcessInfo;
  exit: Promise<{ exitCode: number; finished: string }>;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

export class GuestAgent {
  private readonly options: Required<Omit<AgentConfig, 'log' | 'websocketUrl'>> & Pick<AgentConfig, 'log' | 'websocketUrl'>;
  private channel?: PushChannel;
  private polling = false;
  private privateKey?: KeyObject;
  private identity?: { tenantId: string; moId: string; guestOsFamily: string };
  private readonly running = new Map<number, { child: ChildProcess; exited: Promise<void>; owner: string }>();
  /** Programs an earlier instance started that were still alive at enrolment (pid → owner): watched, not children. */
  private readonly adopted = new Map<number, string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = true;
  /** The pending timer of each loop (one each: a tick replaces it). */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private pollDelayMs = 0;

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
      maxProcesses: 32,
      terminateGraceMs: 2000,
      ...config,
    };
    this.pollDelayMs = this.options.pollIntervalMs;
  }

  /** Enrols (a new key pair on every start: the private key never leaves this process) and starts the loops. */
  async start(): Promise<void> {
    this.announceIsolation();
    const { publicKey, privateKey } = generateKeyPairSync('x25519');
    const registration = await this.register(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    this.privateKey = privateKey;
    const { running, websocketUrl, ...identity } = registration as Partial<AgentRegistration> & Omit<AgentRegistration, 'running'>;
    this.identity = identity;
    this.stopped = false;
    this.log('enrolled', { tenantId: this.identity.tenantId, moId: this.identity.moId });
    await this.reconcile(running ?? []);
    const url = this.options.websocketUrl ?? websocketUrl;
    if (this.options.transport === 'poll') this.startPolling('transport "poll" is configured');
    else if (!url) this.startPolling('the API offers no WebSocket');
    else this.startChannel(url);
  }

  /** Work pushed over the WebSocket; the health message is the sign of life (no HTTP heartbeat). */
  private startChannel(url: string): void {
    const { healthIntervalMs, renewAfterMs, reconnectBaseMs, reconnectCapMs, fallbackAfterFailures } = this.options;
    this.channel = new PushChannel({
      url,
      credential: this.options.credential,
      healthIntervalMs,
      renewAfterMs,
      reconnectBaseMs,
      reconnectCapMs,
      onNotice: (workId) => void this.track(this.claimNamed(workId)).catch((error) => this.log('agent call failed', { error: String(error) })),
      onOpen: () => {
        this.log('work is pushed over the WebSocket', { transport: 'websocket' });
        if (this.polling) this.stopPolling();
        // Work that waited while there was no connection (a reconnect, a renewal, the start) is claimed now.
        void this.track(this.pollOnce()).catch((error) => this.log('agent call failed', { error: String(error) }));
      },
      onFailure: (failures, reason) => {
        this.log('could not open the WebSocket', { failures, reason });
        if (failures >= fallbackAfterFailures && !this.polling) this.startPolling(`the WebSocket cannot be held (${reason})`);
      },
      onHealth: () => void this.track(this.reportAdoptedExits()).catch(() => undefined),
    });
    this.channel.start();
  }

  /** The fallback: heartbeats and claim polls over HTTP, at a low rate. */
  private startPolling(reason: string): void {
    this.polling = true;
    this.log(`polling for work over HTTP (every ${this.options.pollIntervalMs}–${this.options.maxPollIntervalMs} ms): ${reason}`, { transport: 'poll' });
    this.loop('heartbeat', () => this.heartbeat(), () => this.options.heartbeatIntervalMs);
    this.loop('poll', () => this.pollOnce(), (taken) => this.nextPollDelay(taken as number | undefined));
  }

  private stopPolling(): void {
    this.polling = false;
    for (const name of ['heartbeat', 'poll']) {
      clearTimeout(this.timers.get(name));
      this.timers.delete(name);
    }
  }

  /** Claims the item a notice named, if it is still waiting (else it was withdrawn, or claimed already). */
  private async claimNamed(workId: string): Promise<void> {
    const work = (await this.call('POST', AgentPaths.claims, { workId })) as ClaimedWork | undefined;
    if (work) this.track(this.handle(work));
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

  /**
   * The API refuses a new key while another instance of this VM's agent is live (heartbeating): a restart
   * waits until the earlier instance's heartbeat goes stale.
   */
  private async register(publicKey: string): Promise<unknown> {
    for (;;) {
      try {
        return await this.call('PUT', AgentPaths.registration, { publicKey, agentVersion: AGENT_VERSION });
      } catch (error) {
        if (!(error instanceof ApiError && error.errorType === 'NOT_ALLOWED_IN_CURRENT_STATE')) throw error;
        this.log('another instance of this agent is live; waiting for its heartbeat to go stale');
        await sleep(this.options.heartbeatIntervalMs);
      }
    }
  }

  /** Stops heartbeating and claiming ("VMware Tools stopped"); programs already started keep running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.polling = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.channel?.stop();
    this.channel = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  async heartbeat(): Promise<void> {
    await this.call('POST', AgentPaths.heartbeats);
    await this.reportAdoptedExits();
  }

  /**
   * The programs the API lists as running that this instance did not start (an earlier one did, then stopped):
   * those already gone are reported finished, without an exit code (only their parent could have seen it); the
   * others are watched until they end.
   */
  private async reconcile(listed: { pid: number; owner: string }[]): Promise<void> {
    for (const { pid, owner } of listed) if (!this.running.has(pid)) this.adopted.set(pid, owner);
    await this.reportAdoptedExits();
  }

  private async reportAdoptedExits(): Promise<void> {
    for (const pid of [...this.adopted.keys()]) {
      if (isAlive(pid)) continue;
      this.adopted.delete(pid);
      await this.reportExit({ pid, finished: new Date().toISOString() });
    }
  }

  /** Claims and handles waiting work until there is none; returns how many items it took. */
  async pollOnce(): Promise<number> {
    let taken = 0;
    for (;;) {
      const work = (await this.call('POST', AgentPaths.claims)) as ClaimedWork | undefined;
      if (!work) return taken;
      taken += 1;
      this.track(this.handle(work));
    }
  }

  private loop(name: string, task: () => Promise<unknown>, nextDelayMs: (result: unknown) => number): void {
    const tick = async () => {
      if (this.stopped) return;
      const result = await this.track(task()).catch((error) => this.log('agent call failed', { error: String(error) }));
      if (!this.stopped && (this.polling || !this.channel)) this.timers.set(name, setTimeout(tick, nextDelayMs(result)));
    };
    void tick();
  }

  /** Fast again after work; doubling while idle (or failing), up to the ceiling. */
  private nextPollDelay(taken: number | undefined): number {
    const { pollIntervalMs, maxPollIntervalMs } = this.options;
    this.pollDelayMs = taken ? pollIntervalMs : Math.min(this.pollDelayMs * 2, maxPollIntervalMs);
    return this.pollDelayMs;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  /**
   * Answers a claimed item. Whatever goes wrong before a program starts is a failed start, answered at once:
   * the API must never wait out its bound for an answer that will not come.
   */
  private async handle(work: ClaimedWork): Promise<void> {
    let answer: { result: WorkResult; started?: StartedProgram };
    try {
      answer = await this.answer(work);
    } catch (error) {
      this.log('could not handle a claimed operation', { operation: work.operation, error: String(error) });
      if (work.operation !== 'start') return;
      answer = { result: { workId: work.workId, outcome: 'refused', reason: 'failed_to_start' } };
    }
    const reported = this.report(answer.result);
    const { started } = answer;
    // The exit is reported only after the start, so the API always knows the process it finishes.
    if (started) {
      void started.exit.then(async (exit) => {
        await reported.catch(() => undefined);
        await this.reportExit({ pid: started.info.pid, ...exit });
      });
    }
    return reported;
  }

  private async answer(work: ClaimedWork): Promise<{ result: WorkResult; started?: StartedProgram }> {
    const { tenantId, moId } = this.identity!;
    const refused = (reason: Refusal) => ({ result: { workId: work.workId, outcome: 'refused', reason } as const });
    let payload: WorkPayload;
    try {
      payload = WorkPayloadSchema.parse(JSON.parse(open(this.privateKey!, work.sealed, workBinding(tenantId, moId, work.workId))));
    } catch {
      // Sealed to another key (an earlier enrolment) or altered: the credentials cannot be read.
      return refused('invalid_credentials');
    }
    const account = await this.authenticate(payload.credentials);
    if (!account) return refused('invalid_credentials');
    if (payload.operation === 'authenticate') return { result: { workId: work.workId, outcome: 'done' } };
    if (payload.operation === 'terminate') {
      const refusal = await this.terminate(payload.pid, account.userName);
      return refusal ? refused(refusal) : { result: { workId: work.workId, outcome: 'done' } };
    }
    const started = await this.startProgram(account, payload.spec);
    if (typeof started === 'string') return refused(started);
    return { result: { workId: work.workId, outcome: 'started', process: started.info }, started };
  }

  /** USERNAME_PASSWORD against the configured accounts (in constant time per attempt); SAML needs guest aliases, which this agent has none of. */
  private async authenticate(credentials: GuestCredentials): Promise<GuestAccount | undefined> {
    if (credentials.type !== 'USERNAME_PASSWORD') return undefined;
    const account = this.options.accounts.find((candidate) => candidate.userName === credentials.userName);
    const matches = await verifyPassword(credentials.password ?? '', account?.passwordHash ?? DUMMY_PASSWORD_HASH);
    return account && matches ? account : undefined;
  }

  private async startProgram(
    account: GuestAccount,
    spec: ProgramSpec,
  ): Promise<StartedProgram | Refusal> {
    if (this.running.size >= this.options.maxProcesses) return 'busy';
    if (!isAbsolute(spec.path)) return 'path_not_accessible';
    const user = await this.runAsOf(account);
    if (!user) {
      this.log('refused a start: the OS user of the guest account does not exist', { userName: account.userName });
      return 'failed_to_start';
    }
    const cwd = spec.workingDirectory || user.home;
    const inaccessible = await checkAccessAs(user, spec.path, cwd);
    if (inaccessible) return inaccessible;
    // Exactly the given environment; otherwise a login-like default (never the agent's own).
    const env = spec.environment ?? {
      HOME: user.home,
      USER: user.userName,
      LOGNAME: user.userName,
      SHELL: user.shell,
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    };
    // As vmtoolsd does on Linux: /bin/bash starts the program; `exec` makes the reported pid the program's own
    // (setpriv, when it switches user, execs bash in turn, so the pid stays the same).
    const child = await spawnProgram(user, ['/bin/bash', '-c', `exec ${shellQuote(spec.path)} ${spec.arguments ?? ''}`], {
      cwd,
      env,
      stdio: 'ignore',
      detached: true,
    });
    if (!child || child.pid === undefined) return 'failed_to_start';
    const pid = child.pid;
    const exit = new Promise<{ exitCode: number; finished: string }>((resolve) =>
      child.once('exit', (code, signal) => {
        this.running.delete(pid);
        resolve({ exitCode: code ?? 128 + (SIGNALS[signal ?? ''] ?? 0), finished: new Date().toISOString() });
      }),
    );
    this.running.set(pid, { child, exited: exit.then(() => undefined), owner: account.userName });
    child.unref();
    const info: ProcessInfo = {
      pid,
      name: basename(spec.path),
      owner: account.userName,
      command: [spec.path, spec.arguments].filter(Boolean).join(' '),
      started: new Date().toISOString(),
    };
    this.log('started program', { pid, name: info.name });
    return { info, exit };
  }

  /** The OS user a guest account's programs run as; `undefined` if, as root, its OS user does not exist. */
  private runAsOf(account: GuestAccount): Promise<RunAs | undefined> {
    if (this.options.runAs === 'agent') return Promise.resolve(runAsAgentUser(account.userName, account.home));
    return runAsOsUser(account.osUser ?? account.userName);
  }

  /**
   * SIGTERM to the program's process group, SIGKILL after the grace period if it is still there. As the guest
   * OS would, only the account that started the program (or root) may end it.
   */
  private async terminate(pid: number, userName: string): Promise<Refusal | undefined> {
    if (this.adopted.has(pid)) return this.terminateAdopted(pid, userName);
    const process = this.running.get(pid);
    if (!process) return 'process_not_found';
    if (!mayEnd(process.owner, userName)) return 'permission_denied';
    signalProgram(pid, 'SIGTERM');
    const ended = await Promise.race([process.exited.then(() => true), sleep(this.options.terminateGraceMs).then(() => false)]);
    if (!ended) signalProgram(pid, 'SIGKILL');
    return undefined;
  }

  /** The same for a program an earlier instance started: signalled by pid, its end seen by polling. */
  private async terminateAdopted(pid: number, userName: string): Promise<Refusal | undefined> {
    if (!mayEnd(this.adopted.get(pid)!, userName)) return 'permission_denied';
    const gone = async () => {
      const deadline = Date.now() + this.options.terminateGraceMs;
      while (isAlive(pid) && Date.now() < deadline) await sleep(25);
      return !isAlive(pid);
    };
    signalProgram(pid, 'SIGTERM');
    // Bounded even after SIGKILL: a zombie whose parent does not reap it stays "alive" and is left watched.
    if (!(await gone())) {
      signalProgram(pid, 'SIGKILL');
      await gone();
    }
    await this.reportAdoptedExits();
    return undefined;
  }

  private async report(result: WorkResult): Promise<void> {
    await this.call('POST', AgentPaths.results, result);
  }

  private async reportExit(exit: { pid: number; exitCode?: number; finished: string }): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await this.call('POST', AgentPaths.exits, exit);
        return;
      } catch (error) {
        if (error instanceof ApiError && error.status < 500) return;
        await sleep(200 * 2 ** attempt);
      }
    }
    this.log('could not report an exit', { pid: exit.pid });
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(new URL(path, this.options.apiUrl), {
      method,
      headers: { authorization: `Bearer ${this.options.credential}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new ApiError(response.status, text);
    return text ? JSON.parse(text) : undefined;
  }

  private log(message: string, fields?: Record<string, unknown>): void {
    this.options.log?.(message, fields);
  }
}

/**
 * Starts `command` as `user`; `undefined` if it could not be started. Node throws synchronously for some
 * failures (a working directory that is a file or has an over-long component, a NUL byte in an argument or
 * variable) and reports others as an 'error' event: both are a failed start, never an exception.
 */
async function spawnProgram(user: RunAs, command: string[], options: SpawnOptions): Promise<ChildProcess | undefined> {
  const [file, ...args] = [...user.prefix, ...command];
  let child: ChildProcess;
  try {
    child = spawn(file!, args, options);
  } catch {
    return undefined;
  }
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  return spawned ? child : undefined;
}

const PATH_NOT_ACCESSIBLE = 10;

/**
 * Checks, as the user the program will run as, that the program is an executable file and (when switching
 * users) that the working directory is one the user may enter: what root may do says nothing about what the
 * guest account may. Without a switch, spawn's own chdir decides.
 */
async function checkAccessAs(user: RunAs, path: string, cwd: string): Promise<Refusal | undefined> {
  const enter = user.prefix.length > 0 ? '; cd -- "$2" || exit 1' : '';
  const script = `[ -f "$1" ] && [ -x "$1" ] || exit ${PATH_NOT_ACCESSIBLE}${enter}`;
  const check = await spawnProgram(user, ['/bin/bash', '-c', script, 'check', path, cwd], {
    env: { PATH: '/usr/bin:/bin' },
    stdio: 'ignore',
  });
  if (!check) return 'failed_to_start';
  const code = check.exitCode ?? (await new Promise<number | null>((resolve) => check.once('exit', resolve)));
  if (code === 0) return undefined;
  return code === PATH_NOT_ACCESSIBLE ? 'path_not_accessible' : 'failed_to_start';
}

/** Single-quotes a word for bash. */
export const shellQuote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
