import { requireVm } from '../../lib/core/access.js';
import * as Consoles from '../../lib/core/consoles.js';
import { VCENTER_CONSOLES } from '../../lib/dialects/vcenter/console-types.js';
import { consoleTicketSummary, CreateConsoleTicketRestInput } from '../../lib/dialects/vcenter/consoles.js';
import { vcenterRest } from '../../lib/dialects/vcenter/index.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/types.js';

/** POST /rest/vcenter/vm/{vm}/console/tickets — `{"spec":{"type":...}}` in, 200 `{"value":{"ticket":"<URI>"}}` out. */
export const handler = endpoint({
  dialect: vcenterRest,
  auth: { kind: 'session', vm: true },
  input: CreateConsoleTicketRestInput,
  handler: async ({ path, body }, { session, vm }) => {
    const uri = await Consoles.issueConsoleTicket(session, requireVm(vm, path.vm), VCENTER_CONSOLES[body.spec.type]);
    return json(200, { value: consoleTicketSummary(uri) });
  },
});
