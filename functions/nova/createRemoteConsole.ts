import * as z from 'zod';
import { novaEndpoint } from '../../lib/dialects/nova/endpoint.js';
import { openRemoteConsole, RemoteConsoleBody, requireKnown } from '../../lib/dialects/nova/remote-consoles.js';
import { json } from '../../lib/http/types.js';

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
    const url = await openRemoteConsole(request.session, request.vm, path.server_id, console);
    return json(200, { remote_console: { protocol: console.protocol, type: console.type, url } });
  },
});
