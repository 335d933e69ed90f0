/**
 * What `npm start` uses to keep its parts together: if one dies, the others are stopped and the process
 * exits 1, saying which part died and why. A part started as a process group (serverless-offline, whose
 * workers are its children) is signalled as a group, so nothing it started is left behind.
 */
import type { ChildProcess } from 'node:child_process';

interface Part {
  name: string;
  stop(): Promise<void>;
  /** Last resort when the process exits without stopping its parts (a synchronous kill). */
  kill(): void;
}

const STOP_GRACE_MS = 10_000;

export interface Supervisor {
  /** A child process; `group`: it was spawned `detached`, so its pid is also its process group's id. */
  child(name: string, child: ChildProcess, options?: { group?: boolean }): void;
  /** Anything else that can die: `died` settles with why; `stop` ends it on purpose. */
  part(name: string, died: Promise<string>, stop: () => Promise<void>, kill?: () => void): void;
  /** Stops every part (latest first) and exits: 0 when asked to stop, 1 when `part` died for `why`. */
  fail(part: string, why: string): Promise<never>;
  stop(): Promise<never>;
  readonly stopping: boolean;
}

export function supervisor(log: (line: string) => void = (line) => console.error(line)): Supervisor {
  const parts: Part[] = [];
  let stopping = false;

  const shutDown = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      for (const part of parts.splice(0).reverse()) await part.stop().catch(() => part.kill());
      process.exit(code);
    }
    return new Promise<never>(() => undefined);
  };

  const supervisorOf: Supervisor = {
    get stopping() {
      return stopping;
    },
    child(name, child, { group = false } = {}) {
      const signal = (which: NodeJS.Signals) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        try {
          if (group && child.pid) process.kill(-child.pid, which);
          else child.kill(which);
        } catch {
          // already gone
        }
      };
      const exited = new Promise<string>((resolve) =>
        child.once('exit', (code, sig) => resolve(sig ? `killed by ${sig}` : `exited with code ${code}`)),
      );
      child.once('error', (error) => void supervisorOf.fail(name, `could not be started: ${error.message}`));
      const stop = async () => {
        signal('SIGTERM');
        const timer = setTimeout(() => signal('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
        // The group may outlive its leader (a worker still exiting): make sure nothing of it stays.
        if (group && child.pid) killGroup(child.pid);
      };
      parts.push({ name, stop, kill: () => (group && child.pid ? killGroup(child.pid) : signal('SIGKILL')) });
      void exited.then((why) => supervisorOf.fail(name, why));
    },
    part(name, died, stop, kill = () => undefined) {
      parts.push({ name, stop, kill });
      void died.then((why) => supervisorOf.fail(name, why));
    },
    async fail(part, why) {
      if (!stopping) log(`npm start: ${part} ${why}; stopping everything else`);
      return shutDown(1);
    },
    stop: () => shutDown(0),
  };

  process.on('exit', () => {
    for (const part of parts) part.kill();
  });
  return supervisorOf;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // no such group any more
  }
}
