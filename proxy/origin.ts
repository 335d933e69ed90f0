import type { IncomingMessage } from 'node:http';

/**
 * Fails closed: a connection is let in only when its Origin is one of the allowed origins exactly. No
 * Origin header, `null` (sandboxed frames, file:) or anything unparseable is refused. Unlike Nova's
 * check, matching the Host header is not enough, because a DNS-rebinding page controls both.
 */
export function originAllowed(request: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (!origin || origin === 'null') return false;
  let canonical: string;
  try {
    canonical = new URL(origin).origin;
  } catch {
    return false;
  }
  return allowedOrigins.includes(canonical);
}
