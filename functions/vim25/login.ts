import * as z from 'zod';
import * as Sessions from '../../lib/core/sessions.js';
import { fingerprint } from '../../lib/protocol/secrets.js';
import { userSession } from '../../lib/dialects/vim25/bodies.js';
import { vim25 } from '../../lib/dialects/vim25/index.js';
import { ReleaseSchema } from '../../lib/dialects/vim25/release.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';

/**
 * POST /sdk/vim25/{release}/SessionManager/SessionManager/Login — answers a UserSession and the session
 * id in the `vmware-api-session-id` response header.
 */
export const handler = endpoint({
  dialect: vim25,
  auth: { kind: 'none' },
  input: z.object({
    path: z.object({ release: ReleaseSchema }),
    body: z.object({
      userName: z.string().min(1).max(320),
      password: z.string().max(256),
      locale: z.string().max(32).optional(),
    }),
  }),
  handler: async ({ body }, { event }) => {
    const { sessionId, session } = await Sessions.login(body.userName, body.password);
    const origin = {
      ipAddress: event.requestContext?.http?.sourceIp ?? '',
      userAgent: event.headers?.['user-agent'] ?? '',
      locale: body.locale,
    };
    return json(200, userSession(session, fingerprint(session.sessionHash), origin), {
      'vmware-api-session-id': sessionId,
    });
  },
});
