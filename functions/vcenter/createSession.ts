import * as z from 'zod';
import * as Sessions from '../../lib/core/sessions.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';
import { sessionInfo } from '../../lib/dialects/vcenter/sessions.js';
import { anyRecord, BasicAuthHeader } from '../../lib/http/schemas.js';

const login = z.object({ headers: z.object({ authorization: BasicAuthHeader }) });
/** `/rest` also describes the caller's session with `?~action=get` (`/api` has GET /api/session for that). */
const restForms = z.union([
  z.object({ query: z.object({ '~action': z.literal('get') }), headers: anyRecord }),
  login.extend({ query: z.object({ '~action': z.undefined().optional() }) }),
]);

/**
 * POST /api/session — HTTP Basic in, 201 with the session id as a JSON string.
 * POST /rest/com/vmware/cis/session — the same, `{"value":"<session id>"}`; with `?~action=get` it describes
 * the caller's session instead (`{"value":{"user":...}}`), as the /rest API does.
 */
export const handler = vcenterEndpoint({
  auth: { kind: 'none' },
  input: (form) => (form.name === 'api' ? login : restForms),
  handler: async (input, { event }, form) => {
    if ('query' in input && input.query['~action'] === 'get') {
      const { session } = await Sessions.authenticateWithVm(form.dialect.sessionId(event));
      return form.answer(200, sessionInfo(session));
    }
    const { authorization } = input.headers as z.output<typeof login>['headers'];
    const { sessionId } = await Sessions.login(authorization.userName, authorization.password);
    return form.answer(201, sessionId);
  },
});
