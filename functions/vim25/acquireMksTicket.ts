import { requireVm } from '../../lib/core/access.js';
import * as Consoles from '../../lib/core/console-tickets.js';
import { vim25 } from '../../lib/dialects/vim25/index.js';
import { VIM_MKS_TICKET } from '../../lib/dialects/vim25/console-types.js';
import { AcquireMksTicketInput } from '../../lib/dialects/vim25/acquire-ticket.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';

/**
 * POST /sdk/vim25/{release}/VirtualMachine/{moId}/AcquireMksTicket — no parameters, a
 * `VirtualMachineMksTicket` out. Session and VM in one BatchGetItem, then one BatchWriteItem.
 */
export const handler = endpoint({
  dialect: vim25,
  auth: { kind: 'session', vm: true },
  input: AcquireMksTicketInput,
  handler: async ({ path }, { session, vm }) => {
    return json(200, await Consoles.issueConsoleTicket(session, requireVm(vm, path.moId), VIM_MKS_TICKET));
  },
});
