import { requireVm } from '../../lib/core/access.js';
import * as Consoles from '../../lib/core/consoles.js';
import { VCENTER_CONSOLES } from '../../lib/dialects/vcenter/console-types.js';
import { consoleTicketSummary, CreateConsoleTicketApiInput } from '../../lib/dialects/vcenter/consoles.js';
import { vcenterApi } from '../../lib/dialects/vcenter/index.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/types.js';

/** POST /api/vcenter/vm/{vm}/console/tickets — `{"type":...}` in, 201 `{"ticket":"<URI>"}` out. */
export const handler = endpoint({
  dialect: vcenterApi,
  auth: { kind: 'session', vm: true },
  input: CreateConsoleTicketApiInput,
  handler: async ({ path, body }, { session, vm }) => {
    const uri = await Consoles.issueConsoleTicket(session, requireVm(vm, path.vm), VCENTER_CONSOLES[body.type]);
    return json(201, consoleTicketSummary(uri));
  },
});
