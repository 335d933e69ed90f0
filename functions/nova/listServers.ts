import * as z from 'zod';
import * as Inventory from '../../lib/core/inventory.js';
import { novaEndpoint } from '../../lib/dialects/nova/endpoint.js';
import { matchesNameFilter, serverDetail, serverSummary } from '../../lib/dialects/nova/servers.js';
import { json } from '../../lib/http/types.js';

// Nova ignores query parameters it does not know (limit, marker, sort_key, ...); so does this.
const ListInput = z.object({ query: z.object({ name: z.string().max(255).optional() }).passthrough() });

/** GET /compute/v2.1/servers — the tenant's servers, `?name=` filtered (novaclient's find by name). */
export const handler = novaEndpoint({
  auth: { kind: 'session' },
  input: ListInput,
  handler: async ({ query }, request) => {
    const vms = await Inventory.listVms(request.session.tenantId);
    const servers = vms.filter((vm) => matchesNameFilter(vm, query.name)).map((vm) => serverSummary(request.event, vm));
    return json(200, { servers });
  },
});

/** GET /compute/v2.1/servers/detail — the same list with detail (openstacksdk's find by name). */
export const detail = novaEndpoint({
  auth: { kind: 'session' },
  input: ListInput,
  handler: async ({ query }, request, version) => {
    const vms = await Inventory.listVms(request.session.tenantId);
    const servers = vms.filter((vm) => matchesNameFilter(vm, query.name)).map((vm) => serverDetail(request.event, vm, version, 'detail'));
    return json(200, { servers });
  },
});
