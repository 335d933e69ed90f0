import * as Sessions from '../../lib/core/sessions.js';
import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';
import { NoInput } from '../../lib/http/schemas.js';

/** DELETE /api/session (204), DELETE /rest/com/vmware/cis/session (200) — ends the caller's session. */
export const handler = vcenterEndpoint({
  auth: { kind: 'none' },
  input: NoInput,
  handler: async (_input, { event }, form) => {
    await Sessions.logout(form.dialect.sessionId(event));
    return form.done(204);
  },
});
