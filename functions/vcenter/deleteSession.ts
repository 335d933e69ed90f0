import * as Sessions from '../../lib/core/sessions.js';
import { vcenterApi } from '../../lib/dialects/vcenter/errors.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { NoInput } from '../../lib/http/schemas.js';
import { noContent } from '../../lib/http/types.js';

/** DELETE /api/session — ends the caller's session. */
export const handler = endpoint({
  dialect: vcenterApi,
  auth: { kind: 'none' },
  input: NoInput,
  handler: async ({ headers }) => {
    await Sessions.logout(headers[vcenterApi.sessionHeader]);
    return noContent(204);
  },
});
