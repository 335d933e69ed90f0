import * as z from 'zod';
import * as Consoles from '../../lib/core/console-tickets.js';
import { remoteConsole } from '../../lib/dialects/nova/console-types.js';
import { novaEndpoint } from '../../lib/dialects/nova/endpoint.js';
import { RemoteConsoleBody, requireKnown } from '../../lib/dialects/nova/remote-consoles.js';
import { requireServer } from '../../lib/dialects/nova/servers.js';
import { json } from '../../lib/http/responses.js';

/**
 * POST /compute/v2.1/servers/{server_id}/remote-consoles (microversion 2.6+) — a console URL carrying a fresh
 * one-time, 30-minute console token. The session and the server are read together (one parallel round trip),
 * the token is one conditional PutItem.
 */
export const handler = novaEndpoint({
  auth: { kind: 'session', vm: true },
  since: [2, 6],
  input: z.object({ path: z.object({ server_id: z.string() }), body: RemoteConsoleBody }),
  handler: async ({ path, body }, request, version) => {
    const console = body.remote_console;
    requireKnown(console, version);
    const url = await Consoles.issueConsoleTicket(request.session, requireServer(request.vm, path.server_id), remoteConsole(console));
    return json(200, { remote_console: { protocol: console.protocol, type: console.type, url } });
  },
});
