import {
  AUDIT_RECORDS_PATH,
  ConsoleTargetSchema,
  HEARTBEATS_PATH,
  HeartbeatAnswerSchema,
  PLAYBACKS_PATH,
  PlaybackGrantSchema,
  REDEMPTIONS_PATH,
  type ConsoleSessionReport,
  type ConsoleTarget,
  type HeartbeatAnswer,
  type PlaybackGrant,
  type PlaybackRedemption,
  type Redemption,
  type SessionHeartbeats,
} from '../lib/protocol/console-proxy.js';

/**
 * The proxy's only way to the data: the console-broker API over HTTP, as the console-proxy platform
 * principal. It never touches the table, so any number of proxies can run behind a load balancer.
 */

/** The API could not be asked (down, timed out, or answered something unexpected). */
export class ApiUnavailable extends Error {
  override name = 'ApiUnavailable';
}

export interface ConsoleBrokerApi {
  /** The target of a valid ticket, consuming it; `undefined` for a used, expired, unknown, foreign or malformed one. */
  redeemTicket(ticket: string, from?: Omit<Redemption, 'ticket'>): Promise<ConsoleTarget | undefined>;
  recordSession(report: ConsoleSessionReport): Promise<void>;
  /** Reports the consoles still bridged; answers the ids of those that ended meanwhile, and their watchers. */
  heartbeat(report: SessionHeartbeats): Promise<HeartbeatAnswer>;
  /** The recording a valid one-time playback token opens, consuming it; `undefined` for a used, expired, unknown or malformed one. */
  redeemPlayback(token: string, from?: Omit<PlaybackRedemption, 'token'>): Promise<PlaybackGrant | undefined>;
}

export function consoleBrokerApi(options: { baseUrl: string; apiKey: string; timeoutMs: number; redemptionTimeoutMs?: number }): ConsoleBrokerApi {
  const post = async (path: string, body: unknown, timeoutMs = options.timeoutMs): Promise<Response> => {
    try {
      return await fetch(new URL(path, options.baseUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ApiUnavailable(`POST ${path} failed: ${(error as Error).name}`, { cause: error });
    }
  };

  return {
    async redeemTicket(ticket, from = {}) {
      // Tighter than other calls: a browser waiting on it holds one of the proxy's pending places.
      const response = await post(REDEMPTIONS_PATH, { ticket, ...from }, options.redemptionTimeoutMs);
      // 404: used, expired, unknown or foreign; 400: not even shaped like a ticket (e.g. over 512
      // characters). Either way the browser presented an invalid ticket, which is no outage.
      if (response.status === 404 || response.status === 400) {
        await response.body?.cancel();
        return undefined;
      }
      // The ticket is only ever in the request, never in an error: the status says enough.
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new ApiUnavailable(`ticket redemption answered ${response.status}`);
      }
      const target = ConsoleTargetSchema.safeParse(await response.json().catch(() => undefined));
      if (!target.success) throw new ApiUnavailable('ticket redemption answered an unexpected body');
      return target.data;
    },

    async redeemPlayback(token, from = {}) {
      const response = await post(PLAYBACKS_PATH, { token, ...from }, options.redemptionTimeoutMs);
      // As for tickets: 404 (used, expired, unknown, another tenant's) and 400 (malformed) are an invalid token.
      if (response.status === 404 || response.status === 400) {
        await response.body?.cancel();
        return undefined;
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new ApiUnavailable(`playback redemption answered ${response.status}`);
      }
      const grant = PlaybackGrantSchema.safeParse(await response.json().catch(() => undefined));
      if (!grant.success) throw new ApiUnavailable('playback redemption answered an unexpected body');
      return grant.data;
    },

    async heartbeat(report) {
      const response = await post(HEARTBEATS_PATH, report);
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new ApiUnavailable(`heartbeat answered ${response.status}`);
      }
      const answer = HeartbeatAnswerSchema.safeParse(await response.json().catch(() => undefined));
      if (!answer.success) throw new ApiUnavailable('heartbeat answered an unexpected body');
      return answer.data;
    },

    async recordSession(report) {
      const response = await post(AUDIT_RECORDS_PATH, report);
      await response.body?.cancel();
      if (response.status !== 204) throw new ApiUnavailable(`audit record answered ${response.status}`);
    },
  };
}
