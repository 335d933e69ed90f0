import * as z from 'zod';
import * as Audit from '../../lib/core/audit.js';
import { consoleProxyDialect } from '../../lib/dialects/console-proxy/index.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { noContent } from '../../lib/http/responses.js';
import { ConsoleSessionReportSchema } from '../../lib/protocol/console-proxy.js';

/**
 * POST /console-proxy/v1/audit-records — the console proxy reports an ended console session (tenant, VM,
 * principal, start, end, bytes each way). The proxy never writes the table itself; reports are idempotent
 * by the proxy's session id, so a retry after a lost response is harmless.
 */
export const handler = endpoint({
  dialect: consoleProxyDialect,
  auth: { kind: 'platform', role: 'consoleProxy' },
  input: z.object({ body: ConsoleSessionReportSchema }),
  handler: async ({ body }) => {
    await Audit.recordConsoleSession(body);
    return noContent();
  },
});
