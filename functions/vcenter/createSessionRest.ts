import * as z from 'zod';
import * as Sessions from '../../lib/core/sessions.js';
import { vcenterRest } from '../../lib/dialects/vcenter/index.js';
import { sessionInfo } from '../../lib/dialects/vcenter/sessions.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { anyRecord, BasicAuthHeader } from '../../lib/http/schemas.js';
import { json } from '../../lib/http/types.js';

/**
 * POST /rest/com/vmware/cis/session — HTTP Basic in, `{"value":"<session id>"}` out; with `?~action=get`
 * it describes the caller's session instead (`{"value":{"user":...}}`), as the /rest API does.
 */
export const handler = endpoint({
  dialect: vcenterRest,
  auth: { kind: 'none' },
  input: z.union([
    z.object({ query: z.object({ '~action': z.literal('get') }), headers: anyRecord }),
    z.object({ query: z.object({ '~action': z.undefined().optional() }), headers: z.object({ authorization: BasicAuthHeader }) }),
  ]),
  handler: async (input, { event }) => {
    if ('~action' in input.query && input.query['~action'] === 'get') {
      const { session } = await Sessions.authenticateWithVm(vcenterRest.sessionId(event));
      return json(200, { value: sessionInfo(session) });
    }
    const { authorization } = input.headers as { authorization: { userName: string; password: string } };
    const { sessionId } = await Sessions.login(authorization.userName, authorization.password);
    return json(200, { value: sessionId });
  },
});
