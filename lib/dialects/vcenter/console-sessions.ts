import * as z from 'zod';
import type { IssuedShadowTicket } from '../../core/shadow-tickets.js';
import type { OpenConsoleRecord } from '../../records.js';
import { MoIdSchema } from '../../core/model.js';

/**
 * A VM's open console sessions and their read-only shadows, for tenant auditors (docs/shadowing.md): this
 * service's own addition beside `vcenter.vm.console.Tickets`, in the same snake_case vAPI style. `/api`
 * answers the value, `/rest` wraps it in `{"value": …}`.
 */

const VmPath = z.object({ vm: MoIdSchema });

export const ListConsoleSessionsInput = z.object({ path: VmPath });

/** `?action=shadow` (`/rest` also takes `~action=shadow`); the body, if any, is ignored. */
const shadowInput = (actionKeys: string[]) =>
  z
    .object({ path: VmPath.extend({ session: z.string().min(1).max(64) }), query: z.record(z.string(), z.string().optional()).default({}) })
    .refine((input) => actionKeys.some((key) => input.query[key] === 'shadow'), { path: ['query', 'action'], message: 'expected action=shadow' });

export const ShadowConsoleSessionInput = { api: shadowInput(['action']), rest: shadowInput(['~action', 'action']) };

/** One open console, or a shadow (`shadow_of`: the session it watches and that session's user). */
export const consoleSessionInfo = (open: OpenConsoleRecord) => ({
  session: open.sessionId,
  user: open.userName,
  console_type: open.consoleType,
  ...(open.clientAddress ? { client_address: open.clientAddress } : {}),
  started_at: open.startedAt,
  last_input_at: open.lastInputAt,
  ...(open.shadowOf ? { shadow_of: { session: open.shadowOf.sessionId, user: open.shadowOf.userName } } : {}),
});

export const shadowTicketInfo = (issued: IssuedShadowTicket) => ({ ticket: issued.ticket, url: issued.url, expires_at: issued.expiresAt });
