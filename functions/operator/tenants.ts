import * as z from 'zod';
import * as TenantDeletion from '../../lib/core/tenant-deletion.js';
import * as Tenants from '../../lib/core/tenants.js';
import { operatorDialect } from '../../lib/dialects/operator/index.js';
import { TenantIdSchema } from '../../lib/core/model.js';
import { pageBody, PageQuery, TenantPath } from '../../lib/dialects/operator/schemas.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';

const operator = { dialect: operatorDialect, auth: { kind: 'platform', role: 'operator' } } as const;

/** GET /operator/v1/tenants?limit=&next= — a page of the tenants, in tenant id order. */
export const list = endpoint({
  ...operator,
  input: z.object({ query: PageQuery(TenantIdSchema) }),
  handler: async ({ query }) => json(200, pageBody('tenants', await Tenants.listTenants(query), (tenant) => tenant.tenantId)),
});

/** PUT /operator/v1/tenants/{tenant} — create or replace: `displayName`, optional `consolePolicy` (docs/sessions.md). */
export const put = endpoint({
  ...operator,
  input: z.object({
    path: TenantPath,
    body: Tenants.TenantSpecSchema,
  }),
  handler: async ({ path, body }) => json(200, await Tenants.putTenant(path.tenant, body)),
});

/** GET /operator/v1/tenants/{tenant} */
export const get = endpoint({
  ...operator,
  input: z.object({ path: TenantPath }),
  handler: async ({ path }) => json(200, await Tenants.getTenant(path.tenant)),
});

/**
 * DELETE /operator/v1/tenants/{tenant} — marks the tenant deleting at once and answers 202 with it
 * (`deletingSince` set); a background job then removes it with its users, VMs, sessions, tickets and audit.
 */
export const remove = endpoint({
  ...operator,
  input: z.object({ path: TenantPath }),
  handler: async ({ path }) => json(202, await TenantDeletion.deleteTenant(path.tenant)),
});
