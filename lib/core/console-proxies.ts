import { logger } from '../log.js';
import type { ProxyOrder } from '../protocol/console-proxy.js';
import * as store from '../store/index.js';
import { isoNow, nowSeconds } from './clock.js';
import { notifyConnection } from './guest/connections.js';

/**
 * The console proxies' order channel: each proxy instance holds a WebSocket to the same API Gateway
 * WebSocket API the guest agents use, authenticated by the console-proxy key; ending consoles pushes an
 * order to every proxy connection at once (PostToConnection), and each proxy closes the sockets it holds
 * that the order matches. No proxy polls a table per socket.
 */

/** API Gateway ends a WebSocket connection after 2 hours; a record older than that names nothing. */
const CONNECTION_SECONDS = 2 * 3600 + 60;

export const connectProxy = async (connectionId: string): Promise<void> => {
  await store.putProxyConnection(connectionId, isoNow(), nowSeconds() + CONNECTION_SECONDS);
};

export const disconnectProxy = (connectionId: string): Promise<void> => store.deleteProxyConnection(connectionId);

/**
 * Sends `order` (end consoles, or who watches one) to every connected proxy, side by side. A connection that is gone is forgotten; one that
 * fails otherwise is logged (the proxy's next heartbeat learns the sessions it still holds have ended).
 */
export async function pushOrder(order: ProxyOrder): Promise<number> {
  const connections = await store.proxyConnections();
  const outcomes = await Promise.all(
    connections.map(async (connectionId) => {
      const sent = await notifyConnection(connectionId, order);
      if (sent === 'gone') await store.deleteProxyConnection(connectionId);
      return sent;
    }),
  );
  const delivered = outcomes.filter((sent) => sent === 'sent').length;
  const scope =
    order.type === 'end'
      ? { ...(order.vmMoId ? { vm: order.vmMoId } : {}), ...(order.userName ? { user: order.userName } : {}), sessions: order.sessionIds?.length }
      : { session: order.sessionId, watchers: order.watchers.length };
  logger.info(`console ${order.type === 'end' ? 'end' : 'watch'} order pushed`, { tenant: order.tenantId, ...scope, proxies: connections.length, delivered });
  return delivered;
}
