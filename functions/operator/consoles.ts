import * as z from 'zod';
import * as OpenConsoles from '../../lib/core/open-consoles.js';
import * as Tenants from '../../lib/core/tenants.js';
import { operatorDialect } from '../../lib/dialects/operator/index.js';
import { pageBody, PageQuery, TenantPath, UserPath, VmPath } from '../../lib/dialects/operator/schemas.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json, noContent } from '../../lib/http/responses.js';
import type { OpenConsoleRecord } from '../../lib/records.js';

/**
 * The operator's view of open consoles (docs/sessions.md): list them per tenant, per VM or per user (paged),
 * end one, all of a VM or all of a user. Ending pushes an order to every console proxy, which closes the
 * browser's socket within seconds.
 */
const operator = { dialect: operatorDialect, auth: { kind: 'platform', role: 'operator' } } as const;
const SessionId = z.guid();

// A shadow shows with `shadowOf` (the watched session and its user); `shadowed` is the registry's own mark.
const view = ({ expiresAt: _expiry, shadowed: _shadowed, ...open }: OpenConsoleRecord) => open;
const page = (found: { items: OpenConsoleRecord[]; more: boolean }) =>
  pageBody('consoleSessions', { items: found.items.map(view), more: found.more }, (open) => open.sessionId);

/** GET /operator/v1/tenants/{tenant}/console-sessions?limit=&next= */
export const listOfTenant = endpoint({
  ...operator,
  input: z.object({ path: TenantPath, query: PageQuery(SessionId) }),
  handler: async ({ path, query }) => {
    await Tenants.getTenant(path.tenant);
    return json(200, page(await OpenConsoles.listOpenConsoles({ tenantId: path.tenant }, query)));
  },
});

/** GET /operator/v1/tenants/{tenant}/vms/{moId}/console-sessions?limit=&next= */
export const listOfVm = endpoint({
  ...operator,
  input: z.object({ path: VmPath, query: PageQuery(SessionId) }),
  handler: async ({ path, query }) => json(200, page(await OpenConsoles.listOpenConsoles({ tenantId: path.tenant, vmMoId: path.moId }, query))),
});

/** GET /operator/v1/tenants/{tenant}/users/{user}/console-sessions?limit=&next= */
export const listOfUser = endpoint({
  ...operator,
  input: z.object({ path: UserPath, query: PageQuery(SessionId) }),
  handler: async ({ path, query }) => json(200, page(await OpenConsoles.listOpenConsoles({ tenantId: path.tenant, userName: path.user }, query))),
});

/** DELETE /operator/v1/tenants/{tenant}/console-sessions/{session} — ends one console (404 when it is not open). */
export const endOne = endpoint({
  ...operator,
  input: z.object({ path: TenantPath.extend({ session: SessionId }) }),
  handler: async ({ path }) => {
    await OpenConsoles.endConsole(path.tenant, path.session);
    return noContent();
  },
});

/** DELETE /operator/v1/tenants/{tenant}/vms/{moId}/console-sessions — ends every console of the VM. */
export const endOfVm = endpoint({
  ...operator,
  input: z.object({ path: VmPath }),
  handler: async ({ path }) => {
    const ended = await OpenConsoles.endConsolesOf({ tenantId: path.tenant, vmMoId: path.moId }, OpenConsoles.EndReasons.administrator);
    return json(200, { consoleSessions: ended.map(view) });
  },
});

/** DELETE /operator/v1/tenants/{tenant}/users/{user}/console-sessions — ends every console of the user. */
export const endOfUser = endpoint({
  ...operator,
  input: z.object({ path: UserPath }),
  handler: async ({ path }) => {
    const ended = await OpenConsoles.endConsolesOf({ tenantId: path.tenant, userName: path.user }, OpenConsoles.EndReasons.administrator);
    return json(200, { consoleSessions: ended.map(view) });
  },
});
