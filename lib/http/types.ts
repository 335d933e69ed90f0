import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { DomainError } from '../core/errors.js';
import type { AgentIdentity } from '../core/guest.js';
import type { SessionRecord, VmRecord } from '../records.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number };

/** A wire dialect: how it presents a session and how it renders a domain error. */
export interface Dialect {
  name: 'vcenter-rest' | 'vcenter-api' | 'vim25' | 'nova' | 'operator' | 'console-proxy' | 'keystone' | 'guest-agent';
  /** The request header that carries a session id in this dialect (lower case). */
  sessionHeader: string;
  renderError(error: DomainError): HttpResponse;
}

/** The request as a handler sees it: validated input plus who is calling. */
export interface RequestContext {
  requestId: string;
  event: HttpEvent;
  session?: SessionRecord;
  /** The VM named by the path, when the endpoint asked for it to be fetched with the session. */
  vm?: VmRecord;
  /** The guest agent calling, on the agent API. */
  agent?: AgentIdentity;
}

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const noContent = (statusCode = 204, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers,
  body: '',
});
