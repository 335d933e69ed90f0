import { z } from 'zod';
import * as Sessions from '../../lib/core/sessions.js';
import { vcenterRest } from '../../lib/dialects/vcenter/errors.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { BasicAuthHeader } from '../../lib/http/schemas.js';
import { json } from '../../lib/http/types.js';

/** POST /rest/com/vmware/cis/session — HTTP Basic in, `{"value":"<session id>"}` out. */
export const handler = endpoint({
  dialect: vcenterRest,
  auth: { kind: 'none' },
  input: z.object({ headers: z.object({ authorization: BasicAuthHeader }) }),
  handler: async ({ headers }) => {
    const { sessionId } = await Sessions.login(headers.authorization.userName, headers.authorization.password);
    return json(200, { value: sessionId });
  },
});
