import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The address a console WebSocket comes from, which the pending-redemption budget is counted by: the TCP
 * peer, or behind a load balancer that appends it (`trustForwardedFor`), the last `X-Forwarded-For` entry —
 * the one that load balancer wrote; entries before it are the client's own say. IPv4-mapped IPv6 peers
 * count as their IPv4 address. `unknown` when there is none to be had (one shared budget for all such).
 */
export function clientAddressOf(request: IncomingMessage, trustForwardedFor: boolean): string {
  if (trustForwardedFor) {
    const header = request.headers['x-forwarded-for'];
    const last = [header ?? ''].flat().join(',').split(',').at(-1)?.trim() ?? '';
    if (isIP(last)) return canonical(last);
  }
  const peer = request.socket.remoteAddress;
  return peer ? canonical(peer) : 'unknown';
}

const canonical = (address: string): string => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').toLowerCase();
