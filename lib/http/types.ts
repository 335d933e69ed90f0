import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { DomainError } from '../core/errors.js';
import type { AgentIdentity } from '../core/guest/identity.js';
import type { VmRef } from '../core/sessions.js';
import type { SessionRecord, VmRecord } from '../records.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number };

/**
 * A wire dialect, as its folder exports it (lib/dialects/<dialect>/index.ts): where its clients present a
 * session, which VM its paths name, how it renders a domain error. A new dialect is a new value.
 */
export interface Dialect {
  /** The name logs carry. */
  readonly name: string;
  /** The session id a request presents: a header today; a cookie or an Authorization scheme fits as well. */
  sessionId(event: HttpEvent): string | undefined;
  /** The VM a request's path names, read together with the session (endpoints with `auth.vm`). */
  vmOf?(event: HttpEvent): VmRef;
  /** A check every path of the dialect passes before its schema (vim25: a release this service speaks). */
  checkPath?(event: HttpEvent): void;
  renderError(error: DomainError): HttpResponse;
}

/** Whoever calls an endpoint, as its handler sees them: the request and, by its `auth`, who made it. */
export interface Caller {
  requestId: string;
  event: HttpEvent;
}

/** A caller who presented a live session; `vm` is the VM the path names, when the endpoint asked for it. */
export interface SessionCaller extends Caller {
  session: SessionRecord;
  vm?: VmRecord;
}

/** A guest agent, on the agent API. */
export interface AgentCaller extends Caller {
  agent: AgentIdentity;
}
