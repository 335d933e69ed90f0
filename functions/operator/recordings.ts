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

/** `?vm=` or `?user=` (exactly one), with the list's `limit` and `next`; the output names the scope. */
const ListQuery = z.intersection(
  z
    .object({ vm: MoIdSchema.optional(), user: UserNameSchema.optional() })
    .transform((query, context) => {
      if (query.vm !== undefined && query.user === undefined) return { vmMoId: query.vm };
      if (query.user !== undefined && query.vm === undefined) return { userName: query.user };
      context.addIssue({ code: 'custom', path: ['vm'], message: 'expected exactly one of vm and user' });
      return z.NEVER;
    }),
  PageQuery(RecordingId),
);

/** GET /operator/v1/tenants/{tenant}/recordings?vm=<moId>|user=<userName>&limit=&next= — newest first. */
export const list = endpoint({
  ...operator,
  input: z.object({ path: TenantPath, query: ListQuery }),
  handler: async ({ path, query: { limit, after, ...scope } }) => {
    const found = await Recordings.listRecordings({ tenantId: path.tenant, ...scope }, { limit, ...(after === undefined ? {} : { after }) });
    return json(200, pageBody('recordings', { items: found.items.map(Recordings.manifestOf), more: found.more }, (recording) => recording.recordingId));
  },
});

/** POST /operator/v1/tenants/{tenant}/recordings/{recordingId}/playbacks — 201 `{url, expiresAt}`: a one-time playback link. */
export const playback = endpoint({
  ...operator,
  input: z.object({ path: TenantPath.extend({ recordingId: RecordingId }) }),
  handler: async ({ path }) => json(201, await Recordings.playbackLinkOf(path.tenant, path.recordingId, 'operator')),
});
