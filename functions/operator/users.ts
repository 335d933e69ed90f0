import * as z from 'zod';
import { PrincipalSpecSchema, UserNameSchema } from '../../lib/core/model.js';
import * as Tenants from '../../lib/core/tenants.js';
import { operatorDialect } from '../../lib/dialects/operator/index.js';
import { pageBody, PageQuery, TenantPath, UserPath } from '../../lib/dialects/operator/schemas.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json, noContent } from '../../lib/http/responses.js';

const operator = { dialect: operatorDialect, auth: { kind: 'platform', role: 'operator' } } as const;

/** GET /operator/v1/tenants/{tenant}/users?limit=&next= — a page of the tenant's users, in user name order. */
export const list = endpoint({
  ...operator,
  input: z.object({ path: TenantPath, query: PageQuery(UserNameSchema) }),
  handler: async ({ path, query }) =>
    json(200, pageBody('users', await Tenants.listPrincipals(path.tenant, query), (user) => user.userName)),
});

/** PUT /operator/v1/tenants/{tenant}/users/{user} — create or replace, with password and privileges. */
export const put = endpoint({
  ...operator,
  input: z.object({ path: UserPath, body: PrincipalSpecSchema }),
  handler: async ({ path, body }) => json(200, await Tenants.putPrincipal(path.tenant, path.user, body)),
});

/** GET /operator/v1/tenants/{tenant}/users/{user} */
export const get = endpoint({
  ...operator,
  input: z.object({ path: UserPath }),
  handler: async ({ path }) => json(200, await Tenants.getPrincipal(path.tenant, path.user)),
});

/** DELETE /operator/v1/tenants/{tenant}/users/{user} */
export const remove = endpoint({
  ...operator,
  input: z.object({ path: UserPath }),
  handler: async ({ path }) => {
    await Tenants.deletePrincipal(path.tenant, path.user);
    return noContent();
  },
});
