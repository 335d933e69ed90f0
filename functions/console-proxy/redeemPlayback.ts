import * as z from 'zod';
import * as Recordings from '../../lib/core/recordings.js';
import { consoleProxyDialect } from '../../lib/dialects/console-proxy/index.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';
import { PlaybackRedemptionSchema } from '../../lib/protocol/console-proxy.js';

/**
 * POST /console-proxy/v1/playbacks — the console proxy trades a one-time playback token (from a playback
 * link) for the recording it plays: a `PlaybackGrant` (manifest, key prefix, viewer). Used, expired, unknown
 * and malformed tokens, and tokens of an expired recording, get the same 404.
 */
export const handler = endpoint({
  dialect: consoleProxyDialect,
  auth: { kind: 'platform', role: 'consoleProxy' },
  input: z.object({ body: PlaybackRedemptionSchema }),
  handler: async ({ body }) => json(200, await Recordings.redeemPlayback(body.token, body.clientAddress)),
});
