import * as z from 'zod';
import * as OpenConsoles from '../../lib/core/open-consoles.js';
import { consoleProxyDialect } from '../../lib/dialects/console-proxy/index.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';
import { SessionHeartbeatsSchema } from '../../lib/protocol/console-proxy.js';

/**
 * POST /console-proxy/v1/heartbeats — a proxy reports the consoles it still bridges (and their last input),
 * which keeps them in the registry; the answer names those already ended, which it closes (a safety net
 * behind the pushed orders, for a proxy whose order channel was down), and the watchers of its consoles that
 * are watched by a shadow (docs/shadowing.md).
 */
export const handler = endpoint({
  dialect: consoleProxyDialect,
  auth: { kind: 'platform', role: 'consoleProxy' },
  input: z.object({ body: SessionHeartbeatsSchema }),
  handler: async ({ body }) => json(200, await OpenConsoles.recordHeartbeats(body)),
});
