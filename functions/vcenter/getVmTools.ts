import { toolsStatus } from '../../lib/core/guest/tools.js';
import { requireVmState } from '../../lib/core/inventory.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';
import { toolsInfo, VmPathInput } from '../../lib/dialects/vcenter/vms.js';

/** GET /api/vcenter/vm/{vm}/tools, /rest/vcenter/vm/{vm}/tools — run_state RUNNING while the VM's guest agent heartbeats. */
export const handler = vcenterEndpoint({
  auth: { kind: 'session', vm: true },
  input: VmPathInput,
  handler: async ({ path }, { vm }, form) => form.answer(200, toolsInfo(await toolsStatus(requireVmState(vm, path.vm)))),
});
