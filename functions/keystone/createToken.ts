import * as z from 'zod';
import * as Sessions from '../../lib/core/sessions.js';
import { keystone } from '../../lib/dialects/keystone/index.js';
import { AuthRequestBody, credentialsOf, requireOwnProjectScope, tokenBody } from '../../lib/dialects/keystone/tokens.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';

/**
 * POST /identity/v3/auth/tokens — Keystone v3 password or token authentication. The token (X-Subject-Token)
 * is an ordinary session id, accepted as X-Auth-Token by the compute API; the catalog points at /compute/v2.1.
 */
export const handler = endpoint({
  dialect: keystone,
  auth: { kind: 'none' },
  input: z.object({ body: AuthRequestBody }),
  handler: async ({ body }, { event }) => {
    const credentials = credentialsOf(body.auth);
    if (credentials.method === 'token') {
      const session = await Sessions.rescope(credentials.tokenId);
      requireOwnProjectScope(body.auth, session.userName);
      return json(201, tokenBody(event, session, ['token', 'password']), { 'x-subject-token': credentials.tokenId });
    }
    requireOwnProjectScope(body.auth, credentials.userName);
    const { sessionId, session } = await Sessions.login(credentials.userName, credentials.password);
    return json(201, tokenBody(event, session), { 'x-subject-token': sessionId });
  },
});
