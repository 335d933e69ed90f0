/**
 * The end report a console proxy sends for a redeemed target (`POST /console-proxy/v1/audit-records`), for
 * tests that play the proxy's part: the target's identity, a made-up fingerprint, a minute-long session.
 */
import type { ConsoleSessionReport, ConsoleTarget } from '../../lib/protocol/console-proxy.js';

export const sessionReport = (target: ConsoleTarget, overrides: Partial<ConsoleSessionReport> = {}): ConsoleSessionReport => ({
  sessionId: target.session.sessionId,
  tenantId: target.tenantId,
  vmMoId: target.vmMoId,
  instanceUuid: target.instanceUuid,
  consoleType: target.consoleType,
  principal: target.issuedTo,
  ticketFingerprint: '0123abcd',
  startedAt: new Date(Date.now() - 60_000).toISOString(),
  endedAt: new Date().toISOString(),
  bytesToVm: 10,
  bytesFromVm: 2000,
  endReason: 'client closed',
  ...overrides,
});
