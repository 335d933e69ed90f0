import * as z from 'zod';
import * as Sessions from '../../lib/core/sessions.js';
import { vcenterApi } from '../../lib/dialects/vcenter/index.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { BasicAuthHeader } from '../../lib/http/schemas.js';
import { json } from '../../lib/http/types.js';

/** POST /api/session — HTTP Basic in, 201 with the session id as a JSON string. */
export const handler = endpoint({
  dialect: vcenterApi,
  auth: { kind: 'none' },
  input: z.object({ headers: z.object({ authorization: BasicAuthHeader }) }),
  handler: async ({ headers }) => {
    const { sessionId } = await Sessions.login(headers.authorization.userName, headers.authorization.password);
    return json(201, sessionId);
  },
});
