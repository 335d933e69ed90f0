import { requireVm } from '../../lib/core/access.js';
import * as RecordingAccess from '../../lib/core/recording-access.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';
import { PlaybackInput, playbackLink } from '../../lib/dialects/vcenter/recordings.js';

/**
 * POST /api/vcenter/vm/{vm}/console/recordings/{recording}?action=playback (`?~action=playback` on /rest) —
 * a one-time link to the recording's playback page, `{"url", "expires_at"}` (VirtualMachine.Interact.ConsoleAudit).
 */
export const handler = vcenterEndpoint({
  auth: { kind: 'session', vm: true },
  input: (form) => PlaybackInput(form.name === 'api' ? 'action' : '~action'),
  handler: async ({ path }, { session, vm }, form) =>
    form.answer(200, playbackLink(await RecordingAccess.playbackLink(session, requireVm(vm, path.vm), path.recording))),
});
