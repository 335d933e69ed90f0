import * as z from 'zod';
import { ReleaseSchema } from './release.js';
import { VIM_TICKET_TYPES } from './console-types.js';

const path = z.object({ release: ReleaseSchema, moId: z.string() });

/**
 * `AcquireTicketRequestType`. Clients such as govmomi also send the request's own `_typeName`
 * (`{"_typeName":"AcquireTicket","ticketType":"webmks"}`), which is accepted and ignored. A missing body
 * is a missing `ticketType`, so the fault names that parameter.
 */
export const AcquireTicketInput = z.object({
  path,
  body: z.preprocess(
    (body) => body ?? {},
    z.object({ ticketType: z.enum(VIM_TICKET_TYPES) }),
  ),
});

/** `AcquireMksTicket` takes no parameters; a body (govmomi sends `{"_typeName":"AcquireMksTicket"}`) is ignored. */
export const AcquireMksTicketInput = z.object({ path });
