import { requireVmState } from '../../lib/core/inventory.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';
import { powerInfo, VmPathInput } from '../../lib/dialects/vcenter/vms.js';

/** GET /api/vcenter/vm/{vm}/power, /rest/vcenter/vm/{vm}/power — `{"state":"POWERED_ON"}` (session and VM in one BatchGetItem). */
export const handler = vcenterEndpoint({
  auth: { kind: 'session', vm: true },
  input: VmPathInput,
  handler: async ({ path }, { vm }, form) => form.answer(200, powerInfo(requireVmState(vm, path.vm))),
});
