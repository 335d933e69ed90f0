import { fingerprint, parseSecret, sha256Hex } from '../lib/protocol/secrets.js';
import type { RequestTarget } from './request-target.js';

/**
 * Where a browser puts its ticket: noVNC pages connect to `/?token=<t>` (or `/websockify?token=<t>`) after
 * reading `path=?token=<t>` from the Nova console URL; WEBMKS clients connect to `/ticket/<t>`.
 * `undefined` when the path is not a console path at all; `''` when it is one but carries no ticket.
 */
export function ticketOf(target: RequestTarget): string | undefined {
  const webmks = /^\/ticket\/([^/]+)$/.exec(target.path);
  if (webmks) return safeDecode(webmks[1]!);
  if (target.path === '/' || target.path === '/websockify') return target.query.get('token') ?? '';
  return undefined;
}

const safeDecode = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return '';
  }
};

/** What logs and audit records name a ticket by: the fingerprint the API would compute, never the ticket. */
export function ticketFingerprint(ticket: string): string {
  return fingerprint(parseSecret(ticket)?.hash ?? sha256Hex(ticket));
}

/** The tenant a ticket claims (`<tenant>.<secret>`), to check against the tenant the API redeemed it for. */
export const claimedTenant = (ticket: string): string | undefined => parseSecret(ticket)?.tenantId;
