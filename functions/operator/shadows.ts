import * as z from 'zod';
import * as ShadowTickets from '../../lib/core/shadow-tickets.js';
import { operatorDialect } from '../../lib/dialects/operator/index.js';
import { TenantPath } from '../../lib/dialects/operator/schemas.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';

/**
 * POST /operator/v1/tenants/{tenant}/console-sessions/{session}/shadows — a one-time ticket that opens a
 * read-only view of an open console (docs/shadowing.md), watched as `operator`: 201 `{ticket, url, expiresAt}`;
 * 404 when the session is not open (or is a shadow itself); the limit error once it has five shadows.
 */
export const issue = endpoint({
  dialect: operatorDialect,
  auth: { kind: 'platform', role: 'operator' },
  input: z.object({ path: TenantPath.extend({ session: z.guid() }) }),
  handler: async ({ path }) => json(201, await ShadowTickets.issueOperatorShadowTicket(path.tenant, path.session)),
});
