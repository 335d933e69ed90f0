import * as z from 'zod';
import * as NovaConsoles from '../../lib/core/nova-consoles.js';
import { legacyConsole } from '../../lib/dialects/nova/console-types.js';
import { consoleSummary } from '../../lib/dialects/nova/consoles.js';
import { novaEndpoint } from '../../lib/dialects/nova/endpoint.js';
import { json } from '../../lib/http/responses.js';

/**
 * GET /compute/v2.1/servers/{server_id}/consoles — legacy consoles; an unknown server has none (200, []), a
 * caller without the console privilege is forbidden (403).
 */
export const handler = novaEndpoint({
  auth: { kind: 'session', vm: true },
  input: z.object({ path: z.object({ server_id: z.string() }) }),
  handler: async (_input, request) => {
    const consoles = await NovaConsoles.listConsoles(request.session, request.vm, legacyConsole());
    return json(200, { consoles: consoles.map(consoleSummary) });
  },
});
