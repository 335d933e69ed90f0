/**
 * The agent's work handler: opens a claimed item (sealed to this enrolment's key and bound to the item),
 * checks its guest credentials against the configured accounts, has the supervisor run or end the program,
 * and reports the answer, then the program's exit, through the API client.
 */
import type { KeyObject } from 'node:crypto';
import {
  WorkPayloadSchema,
  workBinding,
  type ClaimedWork,
  type GuestCredentials,
  type ProcessExit,
  type Refusal,
  type WorkPayload,
  type WorkResult,
} from '../lib/protocol/agent.js';
import { open } from '../lib/protocol/sealing.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../lib/protocol/secrets.js';
import { ApiError, type AgentApiClient } from './api-client.js';
import { Backoff, retry } from './backoff.js';
import { runAsAgentUser, runAsOsUser, type RunAs } from './os-users.js';
import type { ProcessSupervisor, StartedProgram } from './supervisor.js';

/** A guest account the agent accepts; only a scrypt hash of its password is configured. */
export interface GuestAccount {
  userName: string;
  /** `scrypt$N$r$p$salt$key`, e.g. from `console-broker-agent hash-password <password>`. */
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

/** What the handler needs of an enrolment: whose work it is and the key it was sealed to. */
export interface Enrolment {
  tenantId: string;
  moId: string;
  privateKey: KeyObject;
}

export interface WorkHandlerOptions {
  client: AgentApiClient;
  supervisor: ProcessSupervisor;
  accounts: GuestAccount[];
  runAs: RunAsMode;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

type Answer = { result: WorkResult; started?: StartedProgram };

export class WorkHandler {
  private enrolment?: Enrolment;

  constructor(private readonly options: WorkHandlerOptions) {}

  /** Each enrolment has a new key: work sealed to an earlier one no longer opens. */
  enrolled(enrolment: Enrolment): void {
    this.enrolment = enrolment;
  }

  /**
   * Answers a claimed item. Whatever goes wrong before a program starts is a failed start, answered at once:
   * the API must never wait out its bound for an answer that will not come.
   */
  async handle(work: ClaimedWork): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.answer(work);
    } catch (error) {
      this.options.log('could not handle a claimed operation', { operation: work.operation, error: String(error) });
      if (work.operation !== 'start') return;
      answer = { result: { workId: work.workId, outcome: 'refused', reason: 'failed_to_start' } };
    }
    const reported = this.options.client.reportResult(answer.result);
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

  /** A process exit, retried while the API is unreachable or failing (a few times: the API expires it anyway). */
  async reportExit(exit: ProcessExit): Promise<void> {
    const retryable = (error: unknown) => !(error instanceof ApiError && error.status < 500);
    const backoff = new Backoff({ baseMs: 200, capMs: 5000 });
    await retry(() => this.options.client.reportExit(exit), { delayMs: () => backoff.next(), attempts: 6, retryable }).catch(
      (error: unknown) => this.options.log('could not report an exit', { pid: exit.pid, error: String(error) }),
    );
  }

  private async answer(work: ClaimedWork): Promise<Answer> {
    const refused = (reason: Refusal): Answer => ({ result: { workId: work.workId, outcome: 'refused', reason } });
    const payload = this.unseal(work);
    // Sealed to another key (an earlier enrolment) or altered: the credentials cannot be read.
    if (!payload) return refused('invalid_credentials');
    const account = await this.authenticate(payload.credentials);
    if (!account) return refused('invalid_credentials');
    if (payload.operation === 'authenticate') return { result: { workId: work.workId, outcome: 'done' } };
    if (payload.operation === 'terminate') {
      const refusal = await this.options.supervisor.terminate(payload.pid, account.userName);
      return refusal ? refused(refusal) : { result: { workId: work.workId, outcome: 'done' } };
    }
    const user = await this.runAsOf(account);
    if (!user) {
      this.options.log('refused a start: the OS user of the guest account does not exist', { userName: account.userName });
      return refused('failed_to_start');
    }
    const started = await this.options.supervisor.start(user, account.userName, payload.spec);
    if (typeof started === 'string') return refused(started);
    return { result: { workId: work.workId, outcome: 'started', process: started.info }, started };
  }

  private unseal(work: ClaimedWork): WorkPayload | undefined {
    const enrolment = this.enrolment;
    if (!enrolment) return undefined;
    try {
      const text = open(enrolment.privateKey, work.sealed, workBinding(enrolment.tenantId, enrolment.moId, work.workId));
      return WorkPayloadSchema.parse(JSON.parse(text));
    } catch {
      return undefined;
    }
  }

  /** USERNAME_PASSWORD against the configured accounts (in constant time per attempt); SAML needs guest aliases, which this agent has none of. */
  private async authenticate(credentials: GuestCredentials): Promise<GuestAccount | undefined> {
    if (credentials.type !== 'USERNAME_PASSWORD') return undefined;
    const account = this.options.accounts.find((candidate) => candidate.userName === credentials.userName);
    const matches = await verifyPassword(credentials.password ?? '', account?.passwordHash ?? DUMMY_PASSWORD_HASH);
    return account && matches ? account : undefined;
  }

  /** The OS user a guest account's programs run as; `undefined` if, as root, its OS user does not exist. */
  private runAsOf(account: GuestAccount): Promise<RunAs | undefined> {
    if (this.options.runAs === 'agent') return Promise.resolve(runAsAgentUser(account.userName, account.home));
    return runAsOsUser(account.osUser ?? account.userName);
  }
}
