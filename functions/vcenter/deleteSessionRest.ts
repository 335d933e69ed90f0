import * as Sessions from '../../lib/core/sessions.js';
import { vcenterRest } from '../../lib/dialects/vcenter/index.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { NoInput } from '../../lib/http/schemas.js';
import { noContent } from '../../lib/http/types.js';

/** DELETE /rest/com/vmware/cis/session — ends the caller's session. */
export const handler = endpoint({
  dialect: vcenterRest,
  auth: { kind: 'none' },
  input: NoInput,
  handler: async (_input, { event }) => {
    await Sessions.logout(vcenterRest.sessionId(event));
    return noContent(200);
  },
});
