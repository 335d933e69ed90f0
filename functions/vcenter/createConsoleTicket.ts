import { requireVm } from '../../lib/core/access.js';
import * as Consoles from '../../lib/core/console-tickets.js';
import { VCENTER_CONSOLES } from '../../lib/dialects/vcenter/console-types.js';
import { consoleTicketSummary, CreateConsoleTicketApiInput, CreateConsoleTicketRestInput } from '../../lib/dialects/vcenter/console-tickets.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';

/**
 * POST /api/vcenter/vm/{vm}/console/tickets — `{"type":...}` in, 201 `{"ticket":"<URI>"}` out.
 * POST /rest/vcenter/vm/{vm}/console/tickets — `{"spec":{"type":...}}` in, 200 `{"value":{"ticket":"<URI>"}}` out.
 */
export const handler = vcenterEndpoint({
  auth: { kind: 'session', vm: true },
  input: (form) => (form.name === 'api' ? CreateConsoleTicketApiInput : CreateConsoleTicketRestInput),
  handler: async ({ path, body }, { session, vm }, form) => {
    const type = 'spec' in body ? body.spec.type : body.type;
    const uri = await Consoles.issueConsoleTicket(session, requireVm(vm, path.vm), VCENTER_CONSOLES[type]);
    return form.answer(201, consoleTicketSummary(uri));
  },
});
