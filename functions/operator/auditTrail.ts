import * as z from 'zod';
import * as Audit from '../../lib/core/audit.js';
import * as Tenants from '../../lib/core/tenants.js';
import { operatorDialect } from '../../lib/dialects/operator/index.js';
import { pageBody, PageQuery, TenantPath } from '../../lib/dialects/operator/schemas.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';

/**
 * The operator's reading of a tenant's audit trail (docs/operator-api.md): one UTC day's console sessions and
 * its recordings' and shadows' entries, in time order, paged.
 */
const operator = { dialect: operatorDialect, auth: { kind: 'platform', role: 'operator' } } as const;

/**
 * Where an entry stands in its day's trail (`next` carries it): its time, its kind, its key's rest. ASCII and
 * bounded, so the sort key rebuilt from a forged one still fits DynamoDB's 1024 bytes.
 */
const Position = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z#[01]#[\x20-\x7e]{1,900}$/);
const TrailQuery = z.intersection(z.object({ day: z.iso.date({ message: 'expected a UTC day, yyyy-mm-dd' }).optional() }), PageQuery(Position));

/** GET /operator/v1/tenants/{tenant}/audit-trail?day=yyyy-mm-dd&limit=&next= — 200 `{day, entries, next?}`. */
export const get = endpoint({
  ...operator,
  input: z.object({ path: TenantPath, query: TrailQuery }),
  handler: async ({ path, query: { day, ...page } }) => {
    await Tenants.getTenant(path.tenant);
    const found = await Audit.auditTrail(path.tenant, page, day);
    return json(200, { day: found.day, ...pageBody('entries', found, Audit.auditTrailPosition) });
  },
});
