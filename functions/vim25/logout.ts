import * as z from 'zod';
import * as Sessions from '../../lib/core/sessions.js';
import { vim25 } from '../../lib/dialects/vim25/index.js';
import { ReleaseSchema } from '../../lib/dialects/vim25/release.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { anyRecord } from '../../lib/http/schemas.js';
import { noContent } from '../../lib/http/responses.js';

/** POST /sdk/vim25/{release}/SessionManager/SessionManager/Logout — 204 and the session is gone. */
export const handler = endpoint({
  dialect: vim25,
  auth: { kind: 'none' },
  input: z.object({ path: z.object({ release: ReleaseSchema }), headers: anyRecord }),
  handler: async (_input, { event }) => {
    await Sessions.logout(vim25.sessionId(event));
    return noContent(204);
  },
});
