import * as VimTickets from '../../lib/core/vim-tickets.js';
import { vim25 } from '../../lib/dialects/vim25/index.js';
import { AcquireMksTicketInput, virtualMachineMksTicket } from '../../lib/dialects/vim25/tickets.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/types.js';

/**
 * POST /sdk/vim25/{release}/VirtualMachine/{moId}/AcquireMksTicket — no parameters, a
 * `VirtualMachineMksTicket` out. Session and VM in one BatchGetItem, then one conditional PutItem.
 */
export const handler = endpoint({
  dialect: vim25,
  auth: { kind: 'session', vm: true },
  input: AcquireMksTicketInput,
  handler: async ({ path }, { session, vm }) => {
    const issued = await VimTickets.acquireMksTicket(session, vm, path.moId);
    return json(200, virtualMachineMksTicket(issued.ticket, issued.vm));
  },
});
