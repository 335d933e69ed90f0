/**
 * Where the agent's credential comes from: a file only the agent's user can read (or stdin), never the
 * environment. Every program a guest account runs as the agent's user could read the agent's environment in
 * /proc/<pid>/environ, and removing a variable from process.env does not erase it from there.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

export class CredentialSourceError extends Error {
  override name = 'CredentialSourceError';
}

/** Reads the credential from `path` (`-`: stdin), refusing a file that anyone but its owner may read or write. */
export function readAgentCredential(path: string): string {
  const credential = (path === '-' ? readFileSync(0, 'utf8') : readPrivateFile(path)).trim();
  if (!credential) throw new CredentialSourceError(`The agent credential in ${path === '-' ? 'stdin' : path} is empty.`);
  return credential;
}

function readPrivateFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw new CredentialSourceError(`Cannot read the agent credential file ${path}: ${(error as NodeJS.ErrnoException).code}.`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new CredentialSourceError(`The agent credential file ${path} is not a regular file.`);
    if ((stats.mode & 0o077) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
      throw new CredentialSourceError(
        `The agent credential file ${path} is accessible to group or others (mode ${mode}); refusing to start. Run: chmod 600 ${path}`,
      );
    }
    const uid = process.getuid?.();
    if (uid !== undefined && stats.uid !== uid && stats.uid !== 0) {
      throw new CredentialSourceError(`The agent credential file ${path} belongs to uid ${stats.uid}, neither the agent's user nor root.`);
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
