import * as z from 'zod';
import * as Inventory from '../../lib/core/inventory.js';
import { novaEndpoint } from '../../lib/dialects/nova/endpoint.js';
import { serverListQueryOf, serversLinks } from '../../lib/dialects/nova/pagination.js';
import { serverDetail, serverSummary } from '../../lib/dialects/nova/servers.js';
import { json } from '../../lib/http/responses.js';

// Nova ignores query parameters it does not know (sort_key, all_tenants, ...); so does this. limit, marker and
// name are read from the raw query string (a repeated key counts once, by its last value, as in webob).
const ListInput = z.object({ query: z.object({ name: z.string().max(255).optional() }).passthrough() });

/** GET /compute/v2.1/servers — a page of the tenant's servers, `?name=` filtered (novaclient's find by name). */
export const handler = novaEndpoint({
  auth: { kind: 'session' },
  input: ListInput,
  handler: async (_input, request) => {
    const query = serverListQueryOf(request.event);
    const page = await Inventory.listServers(request.session.tenantId, query);
    const links = serversLinks(request.event, 'servers', query.limit, page);
    const servers = page.vms.map((vm) => serverSummary(request.event, vm));
    return json(200, links.length ? { servers, servers_links: links } : { servers });
  },
});

/** GET /compute/v2.1/servers/detail — the same page with detail (openstacksdk's find by name). */
export const detail = novaEndpoint({
  auth: { kind: 'session' },
  input: ListInput,
  handler: async (_input, request, version) => {
    const query = serverListQueryOf(request.event);
    const page = await Inventory.listServers(request.session.tenantId, query);
    const links = serversLinks(request.event, 'servers/detail', query.limit, page);
    const servers = page.vms.map((vm) => serverDetail(request.event, vm, version, 'detail'));
    return json(200, links.length ? { servers, servers_links: links } : { servers });
  },
});
