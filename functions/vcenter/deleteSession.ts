import * as Sessions from '../../lib/core/sessions.js';
import { vcenterApi } from '../../lib/dialects/vcenter/index.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { NoInput } from '../../lib/http/schemas.js';
import { noContent } from '../../lib/http/types.js';

/** DELETE /api/session — ends the caller's session. */
export const handler = endpoint({
  dialect: vcenterApi,
  auth: { kind: 'none' },
  input: NoInput,
  handler: async (_input, { event }) => {
    await Sessions.logout(vcenterApi.sessionId(event));
    return noContent(204);
  },
});
