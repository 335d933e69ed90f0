import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { config } from '../../config.js';
import { logger } from '../../log.js';
import type { WorkNotice } from '../../protocol/agent.js';
import type { ProxyOrder } from '../../protocol/console-proxy.js';

/**
 * The agents' connections on the API Gateway WebSocket API, through its management API (PostToConnection,
 * DeleteConnection; serverless-offline serves the same `/@connections/{id}` locally). A connection that
 * is no more answers 410 Gone.
 */
let cached: { endpoint: string; client: ApiGatewayManagementApiClient } | undefined;

const isGone = (error: unknown): boolean =>
  error instanceof GoneException || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410;

function connections(): ApiGatewayManagementApiClient | undefined {
  const endpoint = config.agentConnectionsEndpoint();
  if (!endpoint) return undefined;
  if (cached?.endpoint !== endpoint) cached = { endpoint, client: new ApiGatewayManagementApiClient({ endpoint, maxAttempts: 2 }) };
  return cached.client;
}

/**
 * Sends a work notice (or, to a console proxy, an order: end consoles, or who watches one): `gone` when the connection is no more (or no WebSocket API is configured), `failed`
 * when the send failed otherwise (throttled, refused, unreachable) — either way the caller withdraws the work
 * item, so nothing runs after its caller was told it failed.
 */
export async function notifyConnection(connectionId: string, notice: WorkNotice | ProxyOrder): Promise<'sent' | 'gone' | 'failed'> {
  const client = connections();
  if (!client) return 'gone';
  try {
    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(notice) }));
    return 'sent';
  } catch (error) {
    if (isGone(error)) return 'gone';
    logger.warn('could not send a work notice', { error: String(error) });
    return 'failed';
  }
}

/** Closes a connection (a revoked credential's, a replaced one); one already gone is no failure. */
export async function closeConnection(connectionId: string): Promise<void> {
  const client = connections();
  if (!client) return;
  try {
    await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
  } catch (error) {
    if (isGone(error)) return;
    logger.warn('could not close an agent connection', { error: String(error) });
  }
}
