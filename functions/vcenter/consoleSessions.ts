import { requireVm } from '../../lib/core/access.js';
import * as ShadowTickets from '../../lib/core/shadow-tickets.js';
import { consoleSessionInfo, ListConsoleSessionsInput, ShadowConsoleSessionInput, shadowTicketInfo } from '../../lib/dialects/vcenter/console-sessions.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';

/**
 * GET /api/vcenter/vm/{vm}/console/sessions (and /rest) — the VM's open consoles, shadows with `shadow_of`;
 * needs VirtualMachine.Interact.ConsoleAudit on the VM (docs/shadowing.md).
 */
export const list = vcenterEndpoint({
  auth: { kind: 'session', vm: true },
  input: ListConsoleSessionsInput,
  handler: async ({ path }, { session, vm }, form) =>
    form.answer(200, (await ShadowTickets.consolesOfVmForAuditor(session, requireVm(vm, path.vm))).map(consoleSessionInfo)),
});

/**
 * POST /api/vcenter/vm/{vm}/console/sessions/{session}?action=shadow (and /rest) — a one-time ticket that
 * opens a read-only view of the session: 201 `{ticket, url, expires_at}` (`/rest`: 200 `{"value": …}`).
 */
export const shadow = vcenterEndpoint({
  auth: { kind: 'session', vm: true },
  input: (form) => ShadowConsoleSessionInput[form.name],
  handler: async ({ path }, { session, vm }, form) =>
    form.answer(201, shadowTicketInfo(await ShadowTickets.issueAuditorShadowTicket(session, requireVm(vm, path.vm), path.session))),
});
