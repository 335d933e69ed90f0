import type { ConsoleTarget, Redemption as RedemptionBody } from '../lib/protocol/console-proxy.js';
import type { ConsoleBrokerApi } from './api.js';
import { errorSummary, logger } from './log.js';
import { claimedTenant } from './tickets.js';

/** A redemption's outcome: the target, an invalid ticket, or an API that could not be asked. */
export type Redemption = { target: ConsoleTarget } | 'invalid' | 'api unavailable';

/** Trades the ticket for its target through the API, exactly once; `ticketId` is its fingerprint, for the log. */
export async function redeem(api: ConsoleBrokerApi, ticket: string, ticketId: string, from: Omit<RedemptionBody, 'ticket'> = {}): Promise<Redemption> {
  try {
    const target = await api.redeemTicket(ticket, from);
    // Defence in depth: the API keys tickets by the tenant they name, so this cannot differ.
    return target && target.tenantId === claimedTenant(ticket) ? { target } : 'invalid';
  } catch (error) {
    logger.error('ticket redemption failed', { ticket: ticketId, error: errorSummary(error).message });
    return 'api unavailable';
  }
}
