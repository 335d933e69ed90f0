import * as z from 'zod';
import { VCENTER_CONSOLE_TYPES } from './console-types.js';
import { anyRecord } from '../../http/schemas.js';

/** `Vm.Console.Tickets.Type`; an absent and an unknown type are refused alike. */
const ConsoleTicketType = z.enum(VCENTER_CONSOLE_TYPES, {
  error: () => `expected one of ${VCENTER_CONSOLE_TYPES.join(', ')}`,
});
const CreateSpec = z.object({ type: ConsoleTicketType });
const path = z.object({ vm: z.string() });

/** `/rest`: the create spec arrives wrapped, `{"spec":{"type":"VMRC"}}`. */
export const CreateConsoleTicketRestInput = z.object({ path, query: anyRecord, body: z.object({ spec: CreateSpec }) });

/** `/api`: the create spec is the body, `{"type":"VMRC"}`. */
export const CreateConsoleTicketApiInput = z.object({ path, query: anyRecord, body: CreateSpec });

/** `Vm.Console.Tickets.Summary` as `/api` returns it; `/rest` wraps it in `{"value": ...}`. */
export const consoleTicketSummary = (uri: string) => ({ ticket: uri });
