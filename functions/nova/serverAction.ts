import * as z from 'zod';
import * as Consoles from '../../lib/core/console-tickets.js';
import { consoleActionOf } from '../../lib/dialects/nova/console-actions.js';
import { remoteConsole } from '../../lib/dialects/nova/console-types.js';
import { novaEndpoint } from '../../lib/dialects/nova/endpoint.js';
import { requireServer } from '../../lib/dialects/nova/servers.js';
import { json } from '../../lib/http/responses.js';

/**
 * POST /compute/v2.1/servers/{server_id}/action — the console actions (os-getVNCConsole, os-getSPICEConsole,
 * os-getRDPConsole, os-getSerialConsole; 2.1–2.5), which openstacksdk's get_server_console_url and
 * novaclient's get_vnc_console below 2.6 send: the same token and checks as remote-consoles.
 */
export const handler = novaEndpoint({
  auth: { kind: 'session', vm: true },
  input: z.object({ path: z.object({ server_id: z.string() }), body: z.unknown() }),
  handler: async ({ path, body }, request, version) => {
    const console = consoleActionOf(body, version);
    const url = await Consoles.issueConsoleTicket(request.session, requireServer(request.vm, path.server_id), remoteConsole(console));
    return json(200, { console: { type: console.type, url } });
  },
});
