import { requireVm } from '../../lib/core/access.js';
import * as RecordingAccess from '../../lib/core/recording-access.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';
import { MAX_LISTED_RECORDINGS, recordingSummary, VmRecordingsInput } from '../../lib/dialects/vcenter/recordings.js';

/**
 * GET /api/vcenter/vm/{vm}/console/recordings, /rest/vcenter/vm/{vm}/console/recordings — the VM's console
 * recordings, newest first (VirtualMachine.Interact.ConsoleAudit on the VM; session and VM in one BatchGetItem).
 */
export const handler = vcenterEndpoint({
  auth: { kind: 'session', vm: true },
  input: VmRecordingsInput,
  handler: async ({ path }, { session, vm }, form) =>
    form.answer(200, (await RecordingAccess.recordingsOfVm(session, requireVm(vm, path.vm), MAX_LISTED_RECORDINGS)).map(recordingSummary)),
});
