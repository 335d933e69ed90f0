import * as z from 'zod';
import { MoIdSchema, UserNameSchema } from '../../lib/core/model.js';
import * as Recordings from '../../lib/core/recordings.js';
import { operatorDialect } from '../../lib/dialects/operator/index.js';
import { pageBody, PageQuery, TenantPath } from '../../lib/dialects/operator/schemas.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';

/** The operator's view of console recordings (docs/recording.md): listed per VM or per user, played by a one-time link. */
const operator = { dialect: operatorDialect, auth: { kind: 'platform', role: 'operator' } } as const;
const RecordingId = z.guid();

/** `?vm=` or `?user=` (exactly one), with the list's `limit` and `next`. */
const ListQuery = z.intersection(
  z
    .object({ vm: MoIdSchema.optional(), user: UserNameSchema.optional() })
    .refine((query) => (query.vm === undefined) !== (query.user === undefined), { message: 'expected exactly one of vm and user', path: ['vm'] }),
  PageQuery(RecordingId),
);

/** GET /operator/v1/tenants/{tenant}/recordings?vm=<moId>|user=<userName>&limit=&next= — newest first. */
export const list = endpoint({
  ...operator,
  input: z.object({ path: TenantPath, query: ListQuery }),
  handler: async ({ path, query }) => {
    const { vm, user, ...page } = query;
    const scope = vm === undefined ? { tenantId: path.tenant, userName: user! } : { tenantId: path.tenant, vmMoId: vm };
    const found = await Recordings.listRecordings(scope, page);
    return json(200, pageBody('recordings', { items: found.items.map(Recordings.manifestOf), more: found.more }, (recording) => recording.recordingId));
  },
});

/** POST /operator/v1/tenants/{tenant}/recordings/{recordingId}/playbacks — 201 `{url, expiresAt}`: a one-time playback link. */
export const playback = endpoint({
  ...operator,
  input: z.object({ path: TenantPath.extend({ recordingId: RecordingId }) }),
  handler: async ({ path }) => json(201, await Recordings.issuePlaybackLink(await Recordings.findRecording(path.tenant, path.recordingId), 'operator')),
});
