import { z } from 'zod';
import * as NovaConsoles from '../../lib/core/nova-consoles.js';
import { consoleIdOf } from '../../lib/dialects/nova/consoles.js';
import { novaEndpoint, sessionOf } from '../../lib/dialects/nova/endpoint.js';
import { noContent } from '../../lib/http/types.js';

/** DELETE /compute/v2.1/servers/{server_id}/consoles/{console_id} — 202, no body. */
export const handler = novaEndpoint({
  auth: { kind: 'session' },
  input: z.object({ path: z.object({ server_id: z.string(), console_id: z.string() }) }),
  handler: async ({ path }, request) => {
    await NovaConsoles.deleteConsole(sessionOf(request).tenantId, path.server_id, consoleIdOf(path.console_id));
    return noContent(202);
  },
});
