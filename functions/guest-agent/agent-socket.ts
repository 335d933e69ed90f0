import * as z from 'zod';
import * as ConsoleProxies from '../../lib/core/console-proxies.js';
import * as Guest from '../../lib/core/guest/agent-calls.js';
import { isPlatformKey } from '../../lib/core/platform.js';
import { isDomainError } from '../../lib/core/errors.js';
import type { AgentIdentity } from '../../lib/core/guest/identity.js';
import { bearerToken } from '../../lib/http/endpoint.js';
import { lambda } from '../../lib/lambda.js';
import { logger } from '../../lib/log.js';

/**
 * The guest agents' WebSocket API (API Gateway WebSocket API; serverless-offline locally). The authorizer
 * checks the per-VM agent credential before `$connect` is accepted; API Gateway then hands its context (the
 * tenant, the VM, the credential's digest) to every later event of the connection, so the VM a message
 * speaks for comes from the authenticated connection, never from the message. The agent sends one message,
 * its health; the API sends work notices (lib/core/guest/connections.ts).
 *
 * Console proxies connect here too, with the console-proxy key: their connections receive the orders to end
 * consoles (lib/core/console-proxies.ts); they send only their health.
 */

const AuthorizerEvent = z.object({ methodArn: z.string(), headers: z.record(z.string(), z.string().optional()).optional() });
const Identity = z.object({ tenantId: z.string().min(1), moId: z.string().min(1), credentialHash: z.string().min(1) });
const ProxyEvent = z.object({ requestContext: z.object({ connectionId: z.string().min(1), authorizer: z.object({ role: z.literal('consoleProxy') }) }) });
const ConnectionEvent = z.object({ requestContext: z.object({ connectionId: z.string().min(1), authorizer: Identity }) });

const withLogger = <E, R>(handler: (event: E) => Promise<R>) => lambda<E, R>().handler(handler);

const policy = (effect: 'Allow' | 'Deny', resource: string, principalId: string, context?: AgentIdentity) => ({
  principalId,
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
  ...(context ? { context: { tenantId: context.tenantId, moId: context.moId, credentialHash: context.credentialHash } } : {}),
});

/** The `$connect` authorizer: `Authorization: Bearer <agent credential>`; anything else is denied (403). */
export const authorize = withLogger(async (event: unknown) => {
  const parsed = AuthorizerEvent.safeParse(event);
  if (!parsed.success) return policy('Deny', '*', 'unknown');
  const { methodArn, headers = {} } = parsed.data;
  const header = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  if (isPlatformKey('consoleProxy', bearerToken(header))) {
    return { ...policy('Allow', methodArn, 'console-proxy'), context: { role: 'consoleProxy' } };
  }
  try {
    const agent = await Guest.authenticateAgent(bearerToken(header));
    return policy('Allow', methodArn, `${agent.tenantId}/${agent.moId}`, agent);
  } catch (error) {
    if (!isDomainError(error) || error.kind !== 'unauthenticated') throw error;
    return policy('Deny', methodArn, 'unknown');
  }
});

/** One connection event: its id and the authenticated agent, or the status that refuses it. */
function connectionOf(event: unknown): { connectionId: string; agent: AgentIdentity } | undefined {
  const parsed = ConnectionEvent.safeParse(event);
  if (!parsed.success) return undefined;
  const { connectionId, authorizer: agent } = parsed.data.requestContext;
  logger.appendKeys({ tenant: agent.tenantId, vm: agent.moId });
  return { connectionId, agent };
}

/** Runs a connection's call; a revoked credential is a 401 (on `$connect`: the connection is refused). */
const onConnection = (call: (agent: AgentIdentity, connectionId: string) => Promise<void>, proxyCall?: (connectionId: string) => Promise<void>) =>
  withLogger(async (event: unknown) => {
    const proxy = ProxyEvent.safeParse(event);
    if (proxy.success) {
      await proxyCall?.(proxy.data.requestContext.connectionId);
      return { statusCode: 200 };
    }
    const connection = connectionOf(event);
    if (!connection) return { statusCode: 401 };
    try {
      await call(connection.agent, connection.connectionId);
      return { statusCode: 200 };
    } catch (error) {
      if (isDomainError(error) && error.kind === 'unauthenticated') return { statusCode: 401 };
      logger.error('agent connection event failed', { error: String(error) });
      return { statusCode: 500 };
    }
  });

/** `$connect` — the connection becomes the VM's one connection, work is pushed to it from now on. */
export const connect = onConnection(Guest.connectAgent, ConsoleProxies.connectProxy);

/** `$disconnect` — forgotten (unless a newer connection of the VM replaced it). */
export const disconnect = onConnection(Guest.disconnectAgent, ConsoleProxies.disconnectProxy);

/** `health` — the agent's low-rate sign of life, which also keeps API Gateway's idle timer from closing it. */
export const health = onConnection(Guest.recordHealth);
