import * as z from 'zod';
import * as Inventory from '../../lib/core/inventory.js';
import { MoIdSchema, VmSpecSchema } from '../../lib/core/model.js';
import { operatorDialect } from '../../lib/dialects/operator/index.js';
import { pageBody, PageQuery, TenantPath, VmPath } from '../../lib/dialects/operator/schemas.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json, noContent } from '../../lib/http/responses.js';

const operator = { dialect: operatorDialect, auth: { kind: 'platform', role: 'operator' } } as const;

/** GET /operator/v1/tenants/{tenant}/vms?limit=&next= — a page of the tenant's VM records, in moId order. */
export const list = endpoint({
  ...operator,
  input: z.object({ path: TenantPath, query: PageQuery(MoIdSchema) }),
  handler: async ({ path, query }) => json(200, pageBody('vms', await Inventory.listVms(path.tenant, query), (vm) => vm.moId)),
});

/** PUT /operator/v1/tenants/{tenant}/vms/{moId} — create or replace the VM's inventory record. */
export const put = endpoint({
  ...operator,
  input: z.object({ path: VmPath, body: VmSpecSchema }),
  handler: async ({ path, body }) => json(200, await Inventory.putVm(path.tenant, path.moId, body)),
});

/** GET /operator/v1/tenants/{tenant}/vms/{moId} */
export const get = endpoint({
  ...operator,
  input: z.object({ path: VmPath }),
  handler: async ({ path }) => json(200, await Inventory.getVm(path.tenant, path.moId)),
});

/** DELETE /operator/v1/tenants/{tenant}/vms/{moId} */
export const remove = endpoint({
  ...operator,
  input: z.object({ path: VmPath }),
  handler: async ({ path }) => {
    await Inventory.deleteVm(path.tenant, path.moId);
    return noContent();
  },
});
