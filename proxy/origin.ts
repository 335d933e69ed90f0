import type { IncomingMessage } from 'node:http';

/**
 * Fails closed: a connection is let in only when its Origin header is, byte for byte, one of the allowed
 * origins (which the config holds in the serialization browsers send). Nothing is canonicalized first:
 * `http://2130706433:6080`, `http://0x7f.0.0.1:6080`, `HTTP://…`, userinfo or a trailing path name the
 * same host to a URL parser but are not what a browser sends, so they are refused. No Origin header and
 * `null` (sandboxed frames, file:) are refused too. Unlike Nova's check, matching the Host header is not
 * enough, because a DNS-rebinding page controls both.
 */
export function originAllowed(request: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = request.headers.origin;
  return typeof origin === 'string' && allowedOrigins.includes(origin);
}
