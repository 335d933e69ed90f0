import * as z from 'zod';
import { CONSOLE_PRIVILEGE } from '../../lib/core/privileges.js';
import * as Tickets from '../../lib/core/tickets.js';
import { consoleProxyDialect } from '../../lib/dialects/console-proxy/index.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';
import { RedemptionSchema, type ConsoleTarget } from '../../lib/protocol/console-proxy.js';

/**
 * POST /console-proxy/v1/redemptions — the console proxy trades a ticket (or Nova console token) for its
 * connection target, exactly once. Used, expired, unknown and malformed tickets get the same 404, and so does a
 * ticket that does not grant the console (a vim25 device or guestControl ticket), which stays unused.
 */
export const handler = endpoint({
  dialect: consoleProxyDialect,
  auth: { kind: 'platform', role: 'consoleProxy' },
  input: z.object({ body: RedemptionSchema }),
  handler: async ({ body }) => {
    const ticket = await Tickets.redeemTicket(body.ticket, CONSOLE_PRIVILEGE);
    const target: ConsoleTarget = {
      tenantId: ticket.tenantId,
      vmMoId: ticket.vmMoId,
      instanceUuid: ticket.instanceUuid,
      consoleType: ticket.consoleType,
      issuedTo: ticket.issuedTo,
      issuedAt: ticket.issuedAt,
      vnc: ticket.vnc,
    };
    return json(200, target);
  },
});
