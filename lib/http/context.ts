import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResponse, Caller } from './types.js';

/** What the endpoint's middlewares learn about one request, in the order they learn it. */
export interface EndpointState {
  requestId: string;
  startedAt: number;
  /** Set once the deadline answered; what the request does after that is not logged. */
  timedOut?: boolean;
  /** Who is calling, as the endpoint's `auth` established it. */
  caller?: Caller;
  /** The parsed JSON body. */
  body?: unknown;
  /** The output of the endpoint's schema: what the handler receives. */
  input?: unknown;
  /** Headers every answer to this request carries once known (Nova's version headers), faults included. */
  responseHeaders?: Record<string, string>;
}

/** The Lambda context with the endpoint's state, set on it as middy's own middlewares set values on it. */
export type EndpointContext = Context & { endpoint: EndpointState };

export type EndpointMiddleware = MiddlewareObj<HttpEvent, HttpResponse, Error, EndpointContext>;
