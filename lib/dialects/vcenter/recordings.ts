import * as z from 'zod';
import { UserNameSchema } from '../../core/model.js';
import type { PlaybackLink } from '../../core/recordings.js';
import type { RecordingManifest } from '../../protocol/console-proxy.js';

/**
 * Console recordings in vCenter's REST naming (issue 27; vCenter itself records nothing, so these are ours,
 * shaped like its lists and actions): `/api` answers the values below, `/rest` wraps each in `{"value": …}`.
 */

/** At most this many recordings in one list, newest first (vCenter lists are not paged). */
export const MAX_LISTED_RECORDINGS = 1000;

/** `…/console/recordings` Summary: a recording's who, when, where and outcome, vAPI style (unset fields left out). */
export const recordingSummary = (manifest: RecordingManifest) => ({
  recording: manifest.recordingId,
  vm: manifest.vmMoId,
  instance_uuid: manifest.instanceUuid,
  user: manifest.userName,
  session: manifest.sessionId,
  console_type: manifest.consoleType,
  ...(manifest.clientAddress === undefined ? {} : { client_address: manifest.clientAddress }),
  input_recorded: manifest.input,
  state: manifest.state.toUpperCase().replace(' ', '_'),
  ...(manifest.reason === undefined ? {} : { reason: manifest.reason }),
  start_time: manifest.startedAt,
  ...(manifest.endedAt === undefined ? {} : { end_time: manifest.endedAt }),
  ...(manifest.chunks === undefined ? {} : { chunks: manifest.chunks }),
  ...(manifest.bytes === undefined ? {} : { bytes: manifest.bytes }),
  expiration_time: manifest.expiresAt,
});

/** The playback action's answer: the one-time link to the console proxy's playback page. */
export const playbackLink = (link: PlaybackLink) => ({ url: link.url, expires_at: link.expiresAt });

const query = z.record(z.string(), z.string().optional());

/** `GET …/vm/{vm}/console/recordings` */
export const VmRecordingsInput = z.object({ path: z.object({ vm: z.string() }), query });

/** `GET …/console/recordings?user=<name>` (`/rest` also `filter.user`, as its other list filters). */
export const UserRecordingsInput = z.object({
  query: z
    .object({ user: UserNameSchema.optional(), 'filter.user': UserNameSchema.optional() })
    .transform((filter, context) => {
      const user = filter.user ?? filter['filter.user'];
      if (user === undefined) {
        context.addIssue({ code: 'custom', path: ['user'], message: 'a user name is required' });
        return z.NEVER;
      }
      return { user };
    }),
});

/** `POST …/vm/{vm}/console/recordings/{recording}?action=playback` (`?~action=` on `/rest`). */
export const PlaybackInput = (actionKey: 'action' | '~action') =>
  z.object({
    path: z.object({ vm: z.string(), recording: z.guid() }),
    query: z.object({ [actionKey]: z.literal('playback', { error: () => 'expected action=playback' }) }),
  });
