import { randomUUID } from 'node:crypto';
import { config } from '../config.js';
import type { ConsoleTarget, Redemption } from '../protocol/console-proxy.js';
import { fingerprint } from '../protocol/secrets.js';
import type { OpenConsoleRecord, TicketRecord } from '../records.js';
import { isoNow, nowSeconds } from './clock.js';
import { consolePolicyOf, registryTtlSeconds } from './console-policy.js';

/**
 * What a redeemed ticket becomes, for consoles and shadows alike: its entry in the registry of open consoles
 * (open-consoles.ts, shadows.ts store it) and the target the proxy is answered (each adds its own part: a
 * recording grant, or the console a shadow watches).
 */

/** A new registry entry for a redeemed ticket, opened from `from` (the browser's address, the proxy instance). */
export function openConsoleRecord(ticket: TicketRecord, from: Omit<Redemption, 'ticket'>): OpenConsoleRecord {
  const now = isoNow();
  return {
    sessionId: randomUUID(),
    tenantId: ticket.tenantId,
    vmMoId: ticket.vmMoId,
    instanceUuid: ticket.instanceUuid,
    userName: ticket.issuedTo,
    consoleType: ticket.consoleType,
    ...(from.clientAddress ? { clientAddress: from.clientAddress } : {}),
    ...(from.proxyInstance ? { proxyInstance: from.proxyInstance } : {}),
    ticketFingerprint: fingerprint(ticket.ticketHash),
    startedAt: now,
    lastInputAt: now,
    expiresAt: nowSeconds() + registryTtlSeconds(),
  };
}

/** The proxy's target for a registry entry: the VM's console and the session's policy. */
export function consoleTargetOf(ticket: TicketRecord, record: OpenConsoleRecord): ConsoleTarget {
  const limits = ticket.sessionLimits ?? consolePolicyOf(undefined);
  return {
    tenantId: ticket.tenantId,
    vmMoId: ticket.vmMoId,
    instanceUuid: ticket.instanceUuid,
    consoleType: ticket.consoleType,
    issuedTo: ticket.issuedTo,
    issuedAt: ticket.issuedAt,
    vnc: { host: ticket.vnc.host, port: ticket.vnc.port },
    session: {
      sessionId: record.sessionId,
      idleTimeoutSeconds: limits.idleTimeoutSeconds,
      maxDurationSeconds: limits.maxDurationSeconds,
      heartbeatSeconds: config.consoleHeartbeatSeconds(),
    },
  };
}
