import * as z from 'zod';
import { consoleProxyDialect } from '../../lib/dialects/console-proxy/index.js';
import * as OpenConsoles from '../../lib/core/open-consoles.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { noContent } from '../../lib/http/responses.js';
import { ConsoleSessionReportSchema } from '../../lib/protocol/console-proxy.js';

/**
 * POST /console-proxy/v1/audit-records — the console proxy reports an ended console session (tenant, VM,
 * principal, start, end, reason, bytes each way): its audit record is written and it leaves the registry of
 * open consoles. The proxy never writes the table itself; reports are idempotent by the session id, so a
 * retry after a lost response is harmless.
 */
export const handler = endpoint({
  dialect: consoleProxyDialect,
  auth: { kind: 'platform', role: 'consoleProxy' },
  input: z.object({ body: ConsoleSessionReportSchema }),
  handler: async ({ body }) => {
    await OpenConsoles.closeConsole(body);
    return noContent();
  },
});
