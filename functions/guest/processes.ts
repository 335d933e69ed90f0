import * as Guest from '../../lib/core/guest.js';
import { requireVm } from '../../lib/core/tickets.js';
import { vcenterApi, vcenterRest } from '../../lib/dialects/vcenter/errors.js';
import { apiGuestInput, processInfo, processSummary, restGuestInput } from '../../lib/dialects/vcenter/guest.js';
import { endpoint } from '../../lib/http/endpoint.js';
import type { HttpEvent } from '../../lib/http/types.js';
import { json, noContent } from '../../lib/http/types.js';

/** The session and the VM in the path are fetched together (one BatchGetItem). */
const sessionWithVm = { kind: 'session', vm: (event: HttpEvent) => ({ moId: event.pathParameters?.vm ?? '' }) } as const;

/** POST /api/vcenter/vm/{vm}/guest/processes?action=create|list */
export const processesApi = endpoint({
  dialect: vcenterApi,
  auth: sessionWithVm,
  input: apiGuestInput.processes,
  handler: async (input, { session, vm }) => {
    const target = requireVm(vm, input.path.vm);
    if (input.action === 'create' && 'spec' in input.body) {
      const { credentials, spec } = input.body;
      return json(200, await Guest.createProcess(session!, target, credentials, spec.program, spec));
    }
    return json(200, (await Guest.listProcesses(session!, target, input.body.credentials)).map(processSummary));
  },
});

/** POST /api/vcenter/vm/{vm}/guest/processes/{pid}?action=get|delete */
export const processApi = endpoint({
  dialect: vcenterApi,
  auth: sessionWithVm,
  input: apiGuestInput.process,
  handler: async ({ path, action, body }, { session, vm }) => {
    const target = requireVm(vm, path.vm);
    if (action === 'delete') {
      await Guest.terminateProcess(session!, target, body.credentials, path.pid);
      return noContent();
    }
    return json(200, processInfo(await Guest.getProcess(session!, target, body.credentials, path.pid)));
  },
});

/** POST /rest/vcenter/vm/{vm}/guest/processes?~action=create|list — results wrapped in `{"value": ...}`. */
export const processesRest = endpoint({
  dialect: vcenterRest,
  auth: sessionWithVm,
  input: restGuestInput.processes,
  handler: async (input, { session, vm }) => {
    const target = requireVm(vm, input.path.vm);
    if (input.action === 'create' && 'spec' in input.body) {
      const { credentials, spec } = input.body;
      return json(200, { value: await Guest.createProcess(session!, target, credentials, spec.program, spec) });
    }
    return json(200, { value: (await Guest.listProcesses(session!, target, input.body.credentials)).map(processSummary) });
  },
});

/** POST /rest/vcenter/vm/{vm}/guest/processes/{pid}?~action=get|delete */
export const processRest = endpoint({
  dialect: vcenterRest,
  auth: sessionWithVm,
  input: restGuestInput.process,
  handler: async ({ path, action, body }, { session, vm }) => {
    const target = requireVm(vm, path.vm);
    if (action === 'delete') {
      await Guest.terminateProcess(session!, target, body.credentials, path.pid);
      return noContent(200);
    }
    return json(200, { value: processInfo(await Guest.getProcess(session!, target, body.credentials, path.pid)) });
  },
});
