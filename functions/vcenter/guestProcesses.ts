import * as Guest from '../../lib/core/guest/operations.js';
import { requireVm } from '../../lib/core/access.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';
import { guestInput, processSummary } from '../../lib/dialects/vcenter/guest.js';

/** POST /api/vcenter/vm/{vm}/guest/processes?action=create|list (`?~action=` on /rest) */
export const handler = vcenterEndpoint({
  // The session and the VM in the path are fetched together (one BatchGetItem).
  auth: { kind: 'session', vm: true },
  input: (form) => guestInput[form.name].processes,
  handler: async (input, { session, vm }, form) => {
    const target = requireVm(vm, input.path.vm);
    if (input.action === 'create' && 'spec' in input.body) {
      const { credentials, spec } = input.body;
      return form.answer(200, await Guest.createProcess(session, target, credentials, spec.program, spec));
    }
    return form.answer(200, (await Guest.listProcesses(session, target, input.body.credentials)).map(processSummary));
  },
});
