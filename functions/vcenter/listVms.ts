import * as Inventory from '../../lib/core/inventory.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';
import { listedVms, MAX_LISTED_VMS, selectionOf, vmFilterOf } from '../../lib/dialects/vcenter/vms.js';
import { NoInput } from '../../lib/http/schemas.js';

/**
 * GET /api/vcenter/vm — the tenant's VMs (`names`, `vms`, `power_states`, ... filters), as `Summary` items.
 * GET /rest/vcenter/vm — the same with `filter.names`, ....
 */
export const handler = vcenterEndpoint({
  auth: { kind: 'session' },
  input: NoInput,
  handler: async (_input, { event, session }, form) => {
    const filter = vmFilterOf(event, form.name);
    const selected = await Inventory.selectVms(session.tenantId, selectionOf(filter), MAX_LISTED_VMS);
    return form.answer(200, listedVms(selected, filter));
  },
});
