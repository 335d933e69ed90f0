import * as Guest from '../../lib/core/guest/operations.js';
import { requireVm } from '../../lib/core/access.js';
import { vcenterApi, vcenterRest } from '../../lib/dialects/vcenter/index.js';
import { apiGuestInput, processInfo, processSummary, restGuestInput } from '../../lib/dialects/vcenter/guest.js';
import { endpoint } from '../../lib/http/endpoint.js';
import type { Dialect } from '../../lib/http/types.js';
import { json, noContent } from '../../lib/http/types.js';

/** The session and the VM in the path are fetched together (one BatchGetItem). */
const sessionWithVm = { kind: 'session', vm: true } as const;

/**
 * The two URL forms differ only in their error shape, their request schema, the `{"value": ...}` wrapping of
 * `/rest` answers and the status of a delete (`/api` 204, `/rest` 200 with no body).
 */
interface Form {
  dialect: Dialect;
  input: typeof apiGuestInput | typeof restGuestInput;
  answer: (value: unknown) => unknown;
  deletedStatus: number;
}
const API: Form = { dialect: vcenterApi, input: apiGuestInput, answer: (value) => value, deletedStatus: 204 };
const REST: Form = { dialect: vcenterRest, input: restGuestInput, answer: (value) => ({ value }), deletedStatus: 200 };

/** `.../guest/processes?action=create|list` */
const processesEndpoint = (form: Form) =>
  endpoint({
    dialect: form.dialect,
    auth: sessionWithVm,
    input: form.input.processes,
    handler: async (input, { session, vm }) => {
      const target = requireVm(vm, input.path.vm);
      if (input.action === 'create' && 'spec' in input.body) {
        const { credentials, spec } = input.body;
        return json(200, form.answer(await Guest.createProcess(session, target, credentials, spec.program, spec)));
      }
      return json(200, form.answer((await Guest.listProcesses(session, target, input.body.credentials)).map(processSummary)));
    },
  });

/** `.../guest/processes/{pid}?action=get|delete` (delete: SIGTERM, then SIGKILL). */
const processEndpoint = (form: Form) =>
  endpoint({
    dialect: form.dialect,
    auth: sessionWithVm,
    input: form.input.process,
    handler: async ({ path, action, body }, { session, vm }) => {
      const target = requireVm(vm, path.vm);
      if (action === 'delete') {
        await Guest.terminateProcess(session, target, body.credentials, path.pid);
        return noContent(form.deletedStatus);
      }
      return json(200, form.answer(processInfo(await Guest.getProcess(session, target, body.credentials, path.pid))));
    },
  });

/** POST /api/vcenter/vm/{vm}/guest/processes?action=create|list */
export const processesApi = processesEndpoint(API);
/** POST /api/vcenter/vm/{vm}/guest/processes/{pid}?action=get|delete */
export const processApi = processEndpoint(API);
/** POST /rest/vcenter/vm/{vm}/guest/processes?~action=create|list */
export const processesRest = processesEndpoint(REST);
/** POST /rest/vcenter/vm/{vm}/guest/processes/{pid}?~action=get|delete */
export const processRest = processEndpoint(REST);
