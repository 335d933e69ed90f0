import * as z from 'zod';
import * as NovaConsoles from '../../lib/core/nova-consoles.js';
import { legacyConsole } from '../../lib/dialects/nova/console-types.js';
import { consoleIdOf } from '../../lib/dialects/nova/consoles.js';
import { novaEndpoint } from '../../lib/dialects/nova/endpoint.js';
import { noContent } from '../../lib/http/responses.js';

/** DELETE /compute/v2.1/servers/{server_id}/consoles/{console_id} — 202, no body; needs what create needs. */
export const handler = novaEndpoint({
  auth: { kind: 'session', vm: true },
  input: z.object({ path: z.object({ server_id: z.string(), console_id: z.string() }) }),
  handler: async ({ path }, request) => {
    await NovaConsoles.deleteConsole(request.session, request.vm, consoleIdOf(path.console_id), legacyConsole());
    return noContent(202);
  },
});
