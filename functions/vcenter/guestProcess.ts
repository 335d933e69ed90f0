import * as Guest from '../../lib/core/guest/operations.js';
import { requireVm } from '../../lib/core/access.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';
import { guestInput, processInfo } from '../../lib/dialects/vcenter/guest.js';

/** POST /api/vcenter/vm/{vm}/guest/processes/{pid}?action=get|delete (delete: SIGTERM, then SIGKILL; `?~action=` on /rest) */
export const handler = vcenterEndpoint({
  // The session and the VM in the path are fetched together (one BatchGetItem).
  auth: { kind: 'session', vm: true },
  input: (form) => guestInput[form.name].process,
  handler: async ({ path, action, body }, { session, vm }, form) => {
    const target = requireVm(vm, path.vm);
    if (action === 'delete') {
      await Guest.terminateProcess(session, target, body.credentials, path.pid);
      return form.done(204);
    }
    return form.answer(200, processInfo(await Guest.getProcess(session, target, body.credentials, path.pid)));
  },
});
