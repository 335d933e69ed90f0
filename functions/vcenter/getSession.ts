import { vcenterApi } from '../../lib/dialects/vcenter/index.js';
import { sessionInfo } from '../../lib/dialects/vcenter/sessions.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { NoInput } from '../../lib/http/schemas.js';
import { json } from '../../lib/http/responses.js';

/** GET /api/session — who the session belongs to and when it was created and last used. */
export const handler = endpoint({
  dialect: vcenterApi,
  auth: { kind: 'session' },
  input: NoInput,
  handler: async (_input, { session }) => json(200, sessionInfo(session)),
});
