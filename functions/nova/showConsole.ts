import * as z from 'zod';
import * as NovaConsoles from '../../lib/core/nova-consoles.js';
import { legacyConsole } from '../../lib/dialects/nova/console-types.js';
import { consoleDetail, consoleIdOf } from '../../lib/dialects/nova/consoles.js';
import { novaEndpoint } from '../../lib/dialects/nova/endpoint.js';
import { json } from '../../lib/http/responses.js';

/**
 * GET /compute/v2.1/servers/{server_id}/consoles/{console_id} — the console's proxy address and a password:
 * a fresh one-time console token (only token hashes are stored, so each read mints its own).
 */
export const handler = novaEndpoint({
  auth: { kind: 'session', vm: true },
  input: z.object({ path: z.object({ server_id: z.string(), console_id: z.string() }) }),
  handler: async ({ path }, request) => {
    const { console, vm, password } = await NovaConsoles.showConsole(request.session, request.vm, consoleIdOf(path.console_id), legacyConsole());
    return json(200, consoleDetail(console, vm, password));
  },
});
