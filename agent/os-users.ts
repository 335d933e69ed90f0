/**
 * Whose OS user runs a guest account's programs. As root the agent does what VMware Tools does on Linux:
 * each guest account maps to an OS user, and its programs run as that user (uid, gid, supplementary groups
 * via `setpriv --init-groups`, its home, its shell). Otherwise every account runs as the agent's own user.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { promisify } from 'node:util';

export const SETPRIV = '/usr/bin/setpriv';

/** How a program of one guest account is started: the command prefix that switches user, and its login facts. */
export interface RunAs {
  /** Prepended to the command line; empty when the program runs as the agent's own user. */
  prefix: string[];
  userName: string;
  home: string;
  shell: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

const runFile = promisify(execFile);

/** The passwd entry of an OS user (through NSS, as `getent` sees it); `undefined` if there is none. */
export async function lookupOsUser(name: string): Promise<PasswdEntry | undefined> {
  // A name getent would read as a uid or an option is no user name.
  if (!/^[A-Za-z_][A-Za-z0-9._-]*\$?$/.test(name)) return undefined;
  try {
    const { stdout } = await runFile('getent', ['passwd', name], { env: { PATH: '/usr/bin:/bin' } });
    const [entryName, , uid, gid, , home, shell] = stdout.trim().split(':');
    if (entryName !== name || !uid || !gid || !home) return undefined;
    return { name, uid: Number(uid), gid: Number(gid), home, shell: shell || '/bin/sh' };
  } catch {
    return undefined; // getent exits 2 for an unknown user
  }
}

/** The OS user `name` (uid, gid, its supplementary groups), or `undefined` if it does not exist. */
export async function runAsOsUser(name: string): Promise<RunAs | undefined> {
  const entry = await lookupOsUser(name);
  if (!entry) return undefined;
  return {
    prefix: [SETPRIV, `--reuid=${entry.uid}`, `--regid=${entry.gid}`, '--init-groups', '--'],
    userName: entry.name,
    home: entry.home,
    shell: entry.shell,
  };
}

/** The agent's own user: no switch at all. */
export const runAsAgentUser = (guestUserName: string, home = homedir()): RunAs => ({
  prefix: [],
  userName: guestUserName,
  home,
  shell: '/bin/bash',
});

export const isRoot = (): boolean => process.getuid?.() === 0;

export const agentOsUserName = (): string => userInfo().username;

export const canSwitchUsers = (): boolean => existsSync(SETPRIV);
