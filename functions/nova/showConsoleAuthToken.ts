import * as z from 'zod';
import { consoleTypeNotAccessible, lookupConsoleToken, requireConsoleProxy } from '../../lib/dialects/nova/consoles.js';
import { novaEndpoint } from '../../lib/dialects/nova/endpoint.js';
import { atLeast } from '../../lib/dialects/nova/microversions.js';
import { json } from '../../lib/http/responses.js';

/**
 * GET /compute/v2.1/os-console-auth-tokens/{console_token} — for the console proxy: where a live token leads,
 * without consuming it (the proxy's redemption does that, once). Before 2.31 only rdp-html5 tokens.
 */
export const handler = novaEndpoint({
  auth: { kind: 'custom', authenticate: requireConsoleProxy },
  input: z.object({ path: z.object({ console_token: z.string().min(1).max(512) }) }),
  handler: async ({ path }, _request, version) => {
    const token = await lookupConsoleToken(path.console_token);
    if (!atLeast(version, 2, 31) && token.consoleType !== 'rdp-html5') throw consoleTypeNotAccessible();
    return json(200, {
      console: { instance_uuid: token.instanceUuid, host: token.vnc.host, port: token.vnc.port, internal_access_path: null },
    });
  },
});
