import { X509Certificate } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { errorSummary, logger } from './log.js';

/** How often the certificate and key files are looked at (a stat each); a renewal is picked up within it. */
const RELOAD_CHECK_MS = 2_000;

/**
 * An https server whose certificate and key are PEM files, re-read when either changes (a certbot renewal, a
 * mounted secret rotated by its symlink swap): new connections get the new pair, open consoles keep theirs.
 * A pair that does not load (a half-written file, a key that does not match) is logged and the old one kept.
 */
export function tlsServer({ certFile, keyFile }: { certFile: string; keyFile: string }, checkMs = RELOAD_CHECK_MS): { server: Server; stop(): void } {
  const load = () => {
    const pair = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
    const certificate = new X509Certificate(pair.cert);
    return { pair, about: { fingerprint256: certificate.fingerprint256, subject: certificate.subject, validTo: certificate.validTo } };
  };
  const first = load();
  const server = createServer(first.pair);
  logger.info('console proxy TLS certificate loaded', first.about);

  const reload = () => {
    try {
      const next = load();
      server.setSecureContext(next.pair);
      logger.info('console proxy TLS certificate loaded', next.about);
    } catch (error) {
      logger.warn('console proxy TLS certificate not reloaded; the previous one stays', { error: errorSummary(error).message });
    }
  };
  const changed = (now: { mtimeMs: number; size: number }, before: { mtimeMs: number; size: number }) => {
    if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) reload();
  };
  for (const file of [certFile, keyFile]) watchFile(file, { interval: checkMs, persistent: false }, changed);
  return {
    server,
    stop: () => {
      for (const file of [certFile, keyFile]) unwatchFile(file, changed);
    },
  };
}
