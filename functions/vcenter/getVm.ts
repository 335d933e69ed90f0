import { requireVm } from '../../lib/core/access.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';
import { VmPathInput, vmInfo } from '../../lib/dialects/vcenter/vms.js';

/** GET /api/vcenter/vm/{vm}, /rest/vcenter/vm/{vm} — `vcenter.VM.Info` of a VM of the tenant (session and VM in one BatchGetItem). */
export const handler = vcenterEndpoint({
  auth: { kind: 'session', vm: true },
  input: VmPathInput,
  handler: async ({ path }, { vm }, form) => form.answer(200, vmInfo(requireVm(vm, path.vm), form.name)),
});
