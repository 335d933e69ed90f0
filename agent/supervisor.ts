/**
 * The agent's process supervisor: starts programs as a guest account's OS user (./os-users.ts), keeps track of
 * those running, ends them on request (SIGTERM, then SIGKILL after a grace), and watches the ones an earlier
 * instance of the agent started. Every end it sees goes to `onExit`, once.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { basename, isAbsolute } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessExit, ProcessInfo, ProgramSpec, Refusal } from '../lib/protocol/agent.js';
import type { RunAs } from './os-users.js';

export interface StartedProgram {
  info: ProcessInfo;
  exit: Promise<{ exitCode: number; finished: string }>;
}

export interface SupervisorOptions {
  /** Programs running at once before new starts are refused as busy. */
  maxProcesses: number;
  /** How long a terminated process gets between SIGTERM and SIGKILL. */
  terminateGraceMs: number;
  /** A program an earlier instance started ended (its exit code only its parent could have seen). */
  onAdoptedExit: (exit: ProcessExit) => Promise<void>;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
const PATH_NOT_ACCESSIBLE = 10;

/** As the guest OS would have it: only the account that started a program, or root, may end it. */
const mayEnd = (owner: string, userName: string) => owner === userName || userName === 'root';

export class ProcessSupervisor {
  private readonly running = new Map<number, { exited: Promise<void>; owner: string }>();
  /** Programs an earlier instance started that were still alive at enrolment (pid → owner): watched, not children. */
  private readonly adopted = new Map<number, string>();

  constructor(private readonly options: SupervisorOptions) {}

  /**
   * Starts `spec` as `user` for the guest account `owner`. As vmtoolsd does on Linux, /bin/bash starts the
   * program; `exec` makes the reported pid the program's own (setpriv, when it switches user, execs bash in
   * turn, so the pid stays the same).
   */
  async start(user: RunAs, owner: string, spec: ProgramSpec): Promise<StartedProgram | Refusal> {
    if (this.running.size >= this.options.maxProcesses) return 'busy';
    if (!isAbsolute(spec.path)) return 'path_not_accessible';
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
    this.running.set(pid, { exited: exit.then(() => undefined), owner });
    child.unref();
    const info: ProcessInfo = {
      pid,
      name: basename(spec.path),
      owner,
      command: [spec.path, spec.arguments].filter(Boolean).join(' '),
      started: new Date().toISOString(),
    };
    this.options.log('started program', { pid, name: info.name });
    return { info, exit };
  }

  /**
   * SIGTERM to the program's process group, SIGKILL after the grace period if it is still there. As the guest
   * OS would, only the account that started the program (or root) may end it.
   */
  async terminate(pid: number, userName: string): Promise<Refusal | undefined> {
    if (this.adopted.has(pid)) return this.terminateAdopted(pid, userName);
    const process = this.running.get(pid);
    if (!process) return 'process_not_found';
    if (!mayEnd(process.owner, userName)) return 'permission_denied';
    signalProgram(pid, 'SIGTERM');
    const ended = await Promise.race([process.exited.then(() => true), sleep(this.options.terminateGraceMs).then(() => false)]);
    if (!ended) signalProgram(pid, 'SIGKILL');
    return undefined;
  }

  /**
   * The programs the API lists as running that this instance did not start (an earlier one did, then stopped):
   * those already gone are reported finished, without an exit code; the others are watched until they end.
   */
  async adopt(listed: { pid: number; owner: string }[]): Promise<void> {
    for (const { pid, owner } of listed) if (!this.running.has(pid)) this.adopted.set(pid, owner);
    await this.reportAdoptedExits();
  }

  /** Reports the adopted programs that have ended since the last look (called on each sign of life). */
  async reportAdoptedExits(): Promise<void> {
    for (const pid of [...this.adopted.keys()]) {
      if (isAlive(pid)) continue;
      this.adopted.delete(pid);
      await this.options.onAdoptedExit({ pid, finished: new Date().toISOString() });
    }
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
