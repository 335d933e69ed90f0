import * as z from 'zod';
import { requireVm } from '../../../lib/core/access.js';
import * as Consoles from '../../../lib/core/console-tickets.js';
import { VIM_MKS_TICKET, VIM_TICKETS, VIM_TICKET_TYPES } from '../../../lib/dialects/vim25/console-types.js';
import { sessionOf, soapMethod } from '../../../lib/dialects/vim25-soap/method.js';
import { one } from '../../../lib/dialects/vim25-soap/params.js';

/**
 * VirtualMachine.AcquireTicket: the JSON binding's ticket types, privileges and readiness rules
 * (lib/dialects/vim25/console-types.ts), the same one-time ticket. Session and VM in one BatchGetItem, then
 * one BatchWriteItem.
 */
export const AcquireTicket = soapMethod({
  on: 'VirtualMachine',
  auth: { kind: 'vm' },
  params: z.object({ ticketType: one(z.enum(VIM_TICKET_TYPES)) }),
  run: async ({ ticketType }, call) => ({
    type: 'VirtualMachineTicket',
    value: await Consoles.issueConsoleTicket(sessionOf(call), requireVm(call.vm, call.vmMoId!), VIM_TICKETS[ticketType]),
  }),
});

/** VirtualMachine.AcquireMksTicket: the pre-4.1 `mks` ticket. */
export const AcquireMksTicket = soapMethod({
  on: 'VirtualMachine',
  auth: { kind: 'vm' },
  params: z.object({}),
  run: async (_params, call) => ({
    type: 'VirtualMachineMksTicket',
    value: await Consoles.issueConsoleTicket(sessionOf(call), requireVm(call.vm, call.vmMoId!), VIM_MKS_TICKET),
  }),
});
