import * as Inventory from '../../lib/core/inventory.js';
import { vcenterApi, vcenterRest } from '../../lib/dialects/vcenter/index.js';
import { listedVms, MAX_LISTED_VMS, selectionOf, vmFilterOf } from '../../lib/dialects/vcenter/vms.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { NoInput } from '../../lib/http/schemas.js';
import { json, type SessionCaller } from '../../lib/http/types.js';

const list = (form: 'api' | 'rest') => async (_input: unknown, request: SessionCaller) => {
  const filter = vmFilterOf(request.event, form);
  const selected = await Inventory.selectVms(request.session.tenantId, selectionOf(filter), MAX_LISTED_VMS);
  const vms = listedVms(selected, filter);
  return json(200, form === 'api' ? vms : { value: vms });
};

/** GET /api/vcenter/vm — the tenant's VMs (`names`, `vms`, `power_states`, ... filters), as `Summary` items. */
export const api = endpoint({ dialect: vcenterApi, auth: { kind: 'session' }, input: NoInput, handler: list('api') });

/** GET /rest/vcenter/vm — the same with `filter.names`, ..., answered `{"value":[...]}`. */
export const rest = endpoint({ dialect: vcenterRest, auth: { kind: 'session' }, input: NoInput, handler: list('rest') });
