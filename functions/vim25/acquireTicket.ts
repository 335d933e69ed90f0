import * as VimTickets from '../../lib/core/vim-tickets.js';
import { vim25 } from '../../lib/dialects/vim25/index.js';
import { AcquireTicketInput, virtualMachineTicket } from '../../lib/dialects/vim25/tickets.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/types.js';

/**
 * POST /sdk/vim25/{release}/VirtualMachine/{moId}/AcquireTicket — `{"ticketType":...}` in, a
 * `VirtualMachineTicket` out. Session and VM in one BatchGetItem, then one conditional PutItem.
 */
export const handler = endpoint({
  dialect: vim25,
  auth: { kind: 'session', vm: true },
  input: AcquireTicketInput,
  handler: async ({ path, body }, { session, vm }) => {
    const issued = await VimTickets.acquireVimTicket(session, vm, path.moId, body.ticketType);
    return json(200, virtualMachineTicket(issued.ticket, issued.vm, body.ticketType));
  },
});
