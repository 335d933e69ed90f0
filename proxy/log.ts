import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The proxy's structured log. It never receives a ticket: only its fingerprint (first 8 hex of the SHA-256
 * of its secret part, the same fingerprint the API and the audit records use).
 */
export const logger = new Logger({
  serviceName: 'console-proxy',
  logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
});

// A ticket's secret part is 43 base64url characters; no word of an error message is half as long.
const SECRET_LIKE = /[A-Za-z0-9_-]{24,}/g;

/** `text` with anything shaped like a secret masked, as Nova masks tokens (`***`). */
export const maskSecrets = (text: string): string => text.replace(SECRET_LIKE, '***');

/**
 * An error as the log may show it: name, code, masked message and stack frames. Never the error object
 * itself, whose own properties (`input` of a TypeError from `new URL()`, a request's URL) can hold a ticket.
 */
export function errorSummary(error: unknown): { name: string; message: string; code?: string; stack?: string } {
  if (!(error instanceof Error)) return { name: typeof error, message: maskSecrets(String(error)) };
  const code = (error as NodeJS.ErrnoException).code;
  const frames = error.stack?.split('\n').filter((line) => line.startsWith('    at ')).join('\n');
  return {
    name: error.name,
    message: maskSecrets(error.message),
    ...(typeof code === 'string' ? { code } : {}),
    ...(frames ? { stack: maskSecrets(frames) } : {}),
  };
}
