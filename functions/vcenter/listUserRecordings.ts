import * as RecordingAccess from '../../lib/core/recording-access.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';
import { MAX_LISTED_RECORDINGS, recordingSummary, UserRecordingsInput } from '../../lib/dialects/vcenter/recordings.js';

/**
 * GET /api/vcenter/console/recordings?user=<name>, /rest/vcenter/console/recordings?filter.user=<name> — a
 * user's console recordings on every VM of the tenant, newest first (VirtualMachine.Interact.ConsoleAudit).
 */
export const handler = vcenterEndpoint({
  auth: { kind: 'session' },
  input: UserRecordingsInput,
  handler: async ({ query }, { session }, form) =>
    form.answer(200, (await RecordingAccess.recordingsOfUser(session, query.user, MAX_LISTED_RECORDINGS)).map(recordingSummary)),
});
