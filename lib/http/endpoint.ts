import type * as z from 'zod';
import type { ZodTypeAny } from 'zod';
import { inDialect } from '../metrics.js';
import { lambda } from '../lambda.js';
import { authenticate, type Authentication, type CallerOf } from './authenticate.js';
import type { EndpointContext, EndpointMiddleware } from './context.js';
import { withDeadline } from './deadline.js';
import { jsonBody } from './json-body.js';
import { renderErrors } from './render-errors.js';
import { requestLog } from './request-log.js';
import { responseHeaders } from './response-headers.js';
import type { Dialect, HttpEvent, HttpResponse } from './types.js';
import { validate } from './validate.js';

export { bearerToken, type Authentication, type CallerOf } from './authenticate.js';
export { DEADLINE_MARGIN_MS } from './deadline.js';

export interface EndpointDefinition<S extends ZodTypeAny, A extends Authentication = Authentication> {
  dialect: Dialect;
  auth: A;
  /** Schema over `{ path, query, headers, body }`; the handler receives its output. */
  input: S;
  /** A dialect's own steps after authentication and body parsing, before validation (Nova's microversions). */
  steps?: EndpointMiddleware[];
  /** How the body is read into `input.body`: JSON unless the dialect says otherwise (SOAP reads XML). */
  body?: EndpointMiddleware;
  /** Called with the validated input and the caller `auth` established (a session endpoint: its session). */
  handler: (input: z.output<S>, caller: CallerOf<A>) => Promise<HttpResponse>;
}

/**
 * Builds a Lambda handler from named middlewares, every failure rendered in the dialect's own error shape. A
 * handler never parses JSON, checks types, asserts non-null or builds an error body.
 */
export function endpoint<S extends ZodTypeAny, A extends Authentication>(definition: EndpointDefinition<S, A>) {
  const { dialect, auth, input, steps = [] } = definition;
  const chain = lambda<HttpEvent, HttpResponse, EndpointContext>()
    // In order; after and onError hooks run in reverse, so a fault is rendered, then given its headers, then logged.
    .use([requestLog(dialect), responseHeaders(), renderErrors(dialect), authenticate(auth, dialect), definition.body ?? jsonBody(), ...steps, validate(input, dialect)])
    // authenticate() established the caller `auth` promises; validate() produced the schema's output.
    .handler(async (_event, { endpoint: state }) =>
      definition.handler(state.input as z.output<S>, state.caller as CallerOf<A>),
    );
  const handler = withDeadline(dialect, chain);
  // The request's dialect names the metrics the domain records meanwhile (lib/metrics.ts).
  return (...args: Parameters<typeof handler>) => inDialect(dialect.name, () => handler(...args));
}
