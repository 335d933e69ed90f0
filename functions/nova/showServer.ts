import * as z from 'zod';
import { novaEndpoint } from '../../lib/dialects/nova/endpoint.js';
import { requireServer, serverDetail } from '../../lib/dialects/nova/servers.js';
import { json } from '../../lib/http/responses.js';

/** GET /compute/v2.1/servers/{server_id} — what openstacksdk's find_server and novaclient try first. */
export const handler = novaEndpoint({
  auth: { kind: 'session', vm: true },
  input: z.object({ path: z.object({ server_id: z.string() }) }),
  handler: async ({ path }, { event, vm }, version) =>
    json(200, { server: serverDetail(event, requireServer(vm, path.server_id), version) }),
});
