import * as z from 'zod';
import * as OpenConsoles from '../../lib/core/open-consoles.js';
import { CONSOLE_PRIVILEGE } from '../../lib/core/privileges.js';
import * as Tickets from '../../lib/core/tickets.js';
import { consoleProxyDialect } from '../../lib/dialects/console-proxy/index.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';
import { RedemptionSchema } from '../../lib/protocol/console-proxy.js';

/**
 * POST /console-proxy/v1/redemptions — the console proxy trades a ticket (or Nova console token) for its
 * connection target, exactly once, and the console enters the registry of open consoles. Used, expired,
 * unknown and malformed tickets get the same 404, and so does a ticket that does not grant the console (a
 * vim25 device or guestControl ticket), which stays unused. The answer is a `ConsoleTarget`
 * (lib/protocol/console-proxy.ts), carrying the session's id and policy.
 */
export const handler = endpoint({
  dialect: consoleProxyDialect,
  auth: { kind: 'platform', role: 'consoleProxy' },
  input: z.object({ body: RedemptionSchema }),
  handler: async ({ body: { ticket, ...from } }) => {
    const redeemed = await Tickets.redeemTicket(ticket, CONSOLE_PRIVILEGE);
    return json(200, await OpenConsoles.openConsole(redeemed, from));
  },
});
