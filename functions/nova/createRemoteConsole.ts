import * as z from 'zod';
import * as NovaConsoles from '../../lib/core/nova-consoles.js';
import { CONSOLE_PRIVILEGE } from '../../lib/core/privileges.js';
import * as Tickets from '../../lib/core/tickets.js';
import { novaEndpoint, sessionOf } from '../../lib/dialects/nova/endpoint.js';
import {
  consoleUrl,
  RemoteConsoleBody,
  requireKnown,
  requireSupported,
} from '../../lib/dialects/nova/remote-consoles.js';
import { requireServer } from '../../lib/dialects/nova/servers.js';
import { json } from '../../lib/http/types.js';

/**
 * POST /compute/v2.1/servers/{server_id}/remote-consoles (microversion 2.6+) — a console URL carrying a fresh
 * one-time, 30-minute console token. The session and the server are read together (one parallel round trip),
 * the token is one conditional PutItem.
 */
export const handler = novaEndpoint({
  auth: { kind: 'session', vm: (event) => ({ instanceUuid: event.pathParameters?.server_id ?? '' }) },
  since: [2, 6],
  input: z.object({ path: z.object({ server_id: z.string() }), body: RemoteConsoleBody }),
  handler: async ({ path, body }, request, version) => {
    const console = body.remote_console;
    requireKnown(console, version);
    const session = sessionOf(request);
    const server = requireServer(request.vm, path.server_id);
    Tickets.requirePrivilege(session, CONSOLE_PRIVILEGE, server);
    requireSupported(console);
    const { ticket } = await NovaConsoles.issueConsoleToken(session, server, console.type);
    return json(200, { remote_console: { protocol: console.protocol, type: console.type, url: consoleUrl(console.type, ticket) } });
  },
});
