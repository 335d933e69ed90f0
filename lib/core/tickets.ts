import { config } from '../config.js';
import { logger } from '../log.js';
import * as Metrics from '../metrics.js';
import * as store from '../store/index.js';
import { isoNow, nowSeconds } from './clock.js';
import { NotFound } from './errors.js';
import { isServing } from './serving.js';
import type { Privilege } from './privileges.js';
import { fingerprint, issueSecret, parseSecret, scopeKey, type IssuedSecret } from '../protocol/secrets.js';
import type { SessionRecord, TicketRecord, VmRecord } from '../records.js';

export interface IssuedTicket {
  /** The one-time credential, returned to the caller exactly once. */
  ticket: string;
  record: TicketRecord;
}

/**
 * Issues a one-time ticket for `vm` that grants `grants`: one BatchWriteItem (the ticket under the VM, a
 * pointer to it beside the user's sessions). Only
 * `issueConsoleTicket` (lib/core/console-tickets.ts) and `issueShadowTicket` (lib/core/shadows.ts) call this, once it has checked that the session holds
 * `grants` and that the VM is ready for the console.
 */
export async function issueTicket(
  session: Pick<SessionRecord, 'userName'>,
  vm: VmRecord,
  consoleType: string,
  grants: Privilege,
  /** What admitting the console settled (lib/core/open-consoles.ts admitConsole): session limits, recording policy; or, for a shadow ticket (lib/core/shadows.ts, which checked the watched console), the console it views read-only. */
  admission: Pick<TicketRecord, 'sessionLimits' | 'recording' | 'shadowOf'> = {},
): Promise<IssuedTicket> {
  const secret = issueSecret(vm.tenantId, scopeKey(vm.moId));
  const record: TicketRecord = {
    tenantId: vm.tenantId,
    ticketHash: secret.hash,
    vmMoId: vm.moId,
    instanceUuid: vm.instanceUuid,
    consoleType,
    issuedTo: session.userName,
    grants,
    vnc: { host: vm.vnc.host, port: vm.vnc.port },
    ...(admission.sessionLimits ? { sessionLimits: admission.sessionLimits } : {}),
    ...(admission.recording ? { recording: admission.recording } : {}),
    ...(admission.shadowOf ? { shadowOf: admission.shadowOf } : {}),
    issuedAt: isoNow(),
    expiresAt: nowSeconds() + config.ticketTtlSeconds(),
  };
  await store.putTicket(record);
  logTicketEvent('console ticket issued', record);
  Metrics.ticketIssued();
  return { ticket: secret.value, record };
}

/**
 * vCenter records each acquired ticket as an event (VmAcquiredTicketEvent); here both ends of a ticket's life
 * are a log line, so who opened which console survives even a console proxy that dies mid-session.
 */
function logTicketEvent(message: string, record: TicketRecord): void {
  logger.info(message, {
    tenant: record.tenantId,
    vm: record.vmMoId,
    user: record.issuedTo,
    consoleType: record.consoleType,
    ticket: fingerprint(record.ticketHash),
  });
}

const refOf = (secret: IssuedSecret): store.TicketRef => ({ tenantId: secret.tenantId, vmKey: secret.scope, ticketHash: secret.hash });

/** Used, expired, unknown and malformed tickets are all refused with this one error. */
export const ticketRefused = () => NotFound('The console ticket is not valid.');

/**
 * Consumes a ticket that grants `grants` and returns where it leads, exactly once: a single conditional
 * delete, so that of any number of concurrent redemptions exactly one wins. A ticket for another purpose is
 * refused like an unknown one, and left as it was.
 */
export async function redeemTicket(ticket: string, grants: Privilege): Promise<TicketRecord> {
  const secret = parseSecret(ticket);
  if (!secret) {
    Metrics.ticketRedemption('refused');
    throw ticketRefused();
  }
  // The tenant's deletion mark is read beside the delete, not before it: a deleted tenant's ticket opens
  // nothing from the 202 on, and a live tenant's redemption waits no longer than its one DeleteItem.
  const [record, tenant] = await Promise.all([store.redeemTicket(refOf(secret), grants), store.getTenant(secret.tenantId)]);
  const redeemed = record && isServing(tenant) ? record : undefined;
  Metrics.ticketRedemption(redeemed ? 'redeemed' : 'refused');
  if (!redeemed) throw ticketRefused();
  logTicketEvent('console ticket redeemed', redeemed);
  return redeemed;
}

/** Reads a live ticket that grants `grants` without consuming it (Nova's os-console-auth-tokens). */
export async function lookupTicket(ticket: string, grants: Privilege): Promise<TicketRecord> {
  const secret = parseSecret(ticket);
  const found = secret && (await store.peekTicket(refOf(secret)));
  const record = found?.ticket;
  if (!record || record.grants !== grants || !isServing(found.tenant)) throw ticketRefused();
  return record;
}
