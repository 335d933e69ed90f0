import * as z from 'zod';
import * as NovaConsoles from '../../lib/core/nova-consoles.js';
import { legacyConsole } from '../../lib/dialects/nova/console-types.js';
import { novaEndpoint } from '../../lib/dialects/nova/endpoint.js';
import { requireServer } from '../../lib/dialects/nova/servers.js';
import { noContent } from '../../lib/http/responses.js';

/** POST /compute/v2.1/servers/{server_id}/consoles — creates the server's legacy console; 200, no body. */
export const handler = novaEndpoint({
  auth: { kind: 'session', vm: true },
  input: z.object({ path: z.object({ server_id: z.string() }) }),
  handler: async ({ path }, request) => {
    await NovaConsoles.createConsole(request.session, requireServer(request.vm, path.server_id), legacyConsole());
    return noContent(200);
  },
});
