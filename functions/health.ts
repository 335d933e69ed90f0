import { operatorDialect } from '../lib/dialects/operator/index.js';
import { endpoint } from '../lib/http/endpoint.js';
import { NoInput } from '../lib/http/schemas.js';
import { json } from '../lib/http/responses.js';

/** GET /health — liveness only; touches no table (the benchmark's baseline for the HTTP stack). */
export const handler = endpoint({
  dialect: operatorDialect,
  auth: { kind: 'none' },
  input: NoInput,
  handler: async () => json(200, { status: 'ok' }),
});
