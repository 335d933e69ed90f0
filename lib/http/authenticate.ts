import type { AgentIdentity } from '../core/guest/identity.js';
import { authenticatePlatform, type PlatformRole } from '../core/platform.js';
import * as Sessions from '../core/sessions.js';
import { logger } from '../log.js';
import type { EndpointMiddleware } from './context.js';
import type { AgentCaller, Dialect, HttpEvent, Caller, SessionCaller } from './types.js';

export type Authentication =
  | { kind: 'none' }
  /** A live session, found where the dialect's clients present it; `vm`: with the VM the path names. */
  | { kind: 'session'; vm?: boolean }
  | { kind: 'platform'; role: PlatformRole }
  /** A guest agent's `Authorization: Bearer <agent credential>`, checked by the given core function. */
  | { kind: 'agent'; authenticate: (credential: string | undefined) => Promise<AgentIdentity> }
  /** An endpoint's own check of the request (Nova's os-console-auth-tokens: the console proxy's key). */
  | { kind: 'custom'; authenticate: (event: HttpEvent) => Promise<void> };

/** Who the handler of an endpoint with authentication `A` is called by. */
export type CallerOf<A extends Authentication> = A extends { kind: 'session' }
  ? SessionCaller
  : A extends { kind: 'agent' }
    ? AgentCaller
    : Caller;

/**
 * Establishes the caller before anything else is read (DESIGN.md lists it after validation): an
 * unauthenticated caller then learns nothing about which inputs would be valid, gets the 401 vCenter and Nova
 * give before anything else, and the session is read together with the VM the path names in one round trip.
 */
export function authenticate(auth: Authentication, dialect: Dialect): EndpointMiddleware {
  if (auth.kind === 'session' && auth.vm && !dialect.vmOf) {
    throw new Error(`the ${dialect.name} dialect names no VM in its paths: auth.vm cannot be used`);
  }
  return {
    before: async ({ event, context }) => {
      context.endpoint.caller = await callerOf(auth, dialect, event, { requestId: context.endpoint.requestId, event });
    },
  };
}

async function callerOf(auth: Authentication, dialect: Dialect, event: HttpEvent, request: Caller): Promise<Caller> {
  switch (auth.kind) {
    case 'none':
      return request;
    case 'platform':
      authenticatePlatform(auth.role, bearerToken(event.headers?.authorization));
      return request;
    case 'custom':
      await auth.authenticate(event);
      return request;
    case 'agent': {
      const agent = await auth.authenticate(bearerToken(event.headers?.authorization));
      logger.appendKeys({ tenant: agent.tenantId, vm: agent.moId });
      const caller: AgentCaller = { ...request, agent };
      return caller;
    }
    case 'session': {
      const vmRef = auth.vm ? dialect.vmOf?.(event) : undefined;
      const { session, vm } = await Sessions.authenticateWithVm(dialect.sessionId(event), vmRef);
      logger.appendKeys({ tenant: session.tenantId, user: session.userName });
      const caller: SessionCaller = { ...request, session, vm };
      return caller;
    }
  }
}

export const bearerToken = (header: string | undefined): string | undefined =>
  header?.match(/^Bearer\s+(\S+)$/i)?.[1];
