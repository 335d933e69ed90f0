import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import type { ZodTypeAny } from 'zod';
import { config } from '../config.js';
import { DomainError, InvalidArgument, Unauthenticated } from '../core/errors.js';
import { authenticatePlatform, type PlatformRole } from '../core/platform.js';
import * as Sessions from '../core/sessions.js';
import type { AgentIdentity } from '../core/guest.js';
import type { VmRef } from '../core/sessions.js';
import { logger } from '../log.js';
import './validation-messages.js';
import type { Dialect, HttpEvent, HttpResponse, RequestContext } from './types.js';
import type { SessionRecord } from '../records.js';

export type Authentication =
  | { kind: 'none' }
  | { kind: 'session'; vm?: (event: HttpEvent) => VmRef | undefined }
  | { kind: 'platform'; role: PlatformRole }
  /** A guest agent's `Authorization: Bearer <agent credential>`, checked by the given core function. */
  | { kind: 'agent'; authenticate: (credential: string | undefined) => Promise<AgentIdentity> };

/** The raw parts of a request that an endpoint's zod schema validates. */
export interface RawInput {
  path: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  body: unknown;
}

export interface EndpointDefinition<S extends ZodTypeAny> {
  dialect: Dialect;
  auth: Authentication;
  /** Schema over `{ path, query, headers, body }`; the handler receives its output. */
  input: S;
  /** A dialect's own step after authentication and body parsing, before validation (Nova's microversions). */
  prepare?: (event: HttpEvent) => Promise<void>;
  handler: (input: z.output<S>, request: RequestContext) => Promise<HttpResponse>;
}

interface State {
  rawInput?: RawInput;
  context: RequestContext;
  startedAt: number;
  /** Set once the deadline answered for this request; what the request does after that is not logged. */
  timedOut?: boolean;
}

/**
 * Lambda's timeout ends an invocation without an answer (API Gateway then says 500, serverless-offline a
 * 200 with a stack trace): the dialect's `timed_out` goes out this long before it instead (a third of a short
 * timeout). Generous, since serverless-offline starts its clock before loading the function, and the
 * invocation's clock after.
 */
export const DEADLINE_MARGIN_MS = 2_000;

/**
 * Builds a Lambda handler: authenticate → parse body → validate → handler, with every failure rendered
 * in the dialect's own error shape. A handler never parses JSON, checks types or builds an error body.
 *
 * Authentication comes first (DESIGN.md lists it after validation): an unauthenticated caller then learns
 * nothing about which inputs would be valid, gets the 401 vCenter and Nova give before anything else, and the
 * session is read together with the VM the path names in the same round trip.
 */
export function endpoint<S extends ZodTypeAny>(definition: EndpointDefinition<S>) {
  const { dialect } = definition;
  // Per-invocation state, keyed by the event object middy hands to every hook and to the handler.
  const states = new WeakMap<HttpEvent, State>();

  const chain = middy<HttpEvent, HttpResponse, Error, Context>()
    .use({
      before: async (request) => {
        const event = request.event;
        const requestId = request.context?.awsRequestId ?? event.requestContext?.requestId ?? 'local';
        const state: State = { context: { requestId, event }, startedAt: Date.now() };
        states.set(event, state);
        logger.appendKeys({ requestId, route: event.routeKey, dialect: dialect.name });
        await authenticateRequest(definition.auth, dialect, event, state.context);
        state.rawInput = {
          path: event.pathParameters ?? {},
          query: event.queryStringParameters ?? {},
          headers: event.headers ?? {},
          body: parseBody(event),
        };
        await definition.prepare?.(event);
      },
      after: async (request) => {
        logRequest(request.event, request.response!.statusCode, states.get(request.event));
      },
      onError: async (request) => {
        request.response = renderFailure(dialect, request.error);
        logRequest(request.event, request.response.statusCode, states.get(request.event), request.error);
      },
    })
    .handler(async (event) => {
      const state = states.get(event)!;
      const parsed = definition.input.safeParse(state.rawInput);
      if (!parsed.success) throw invalidInput(parsed.error);
      return definition.handler(parsed.data, state.context);
    });

  return async (event: HttpEvent, context: Context): Promise<HttpResponse> => {
    const remaining = context?.getRemainingTimeInMillis?.();
    if (remaining === undefined) return chain(event, context);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<HttpResponse>((resolve) => {
      // A third of the time, at most, so that a short timeout still leaves the request most of it.
      const margin = Math.min(DEADLINE_MARGIN_MS, remaining / 3);
      timer = setTimeout(() => resolve(answerTimedOut(dialect, event, states.get(event))), remaining - margin);
    });
    try {
      return await Promise.race([chain(event, context), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}

function answerTimedOut(dialect: Dialect, event: HttpEvent, state: State | undefined): HttpResponse {
  const error = new DomainError('timed_out', 'The request did not complete in time.');
  const response = dialect.renderError(error);
  logRequest(event, response.statusCode, state, error);
  if (state) state.timedOut = true;
  return response;
}

async function authenticateRequest(
  auth: Authentication,
  dialect: Dialect,
  event: HttpEvent,
  context: RequestContext,
): Promise<void> {
  if (auth.kind === 'none') return;
  if (auth.kind === 'platform') {
    authenticatePlatform(auth.role, bearerToken(event.headers?.authorization));
    return;
  }
  if (auth.kind === 'agent') {
    context.agent = await auth.authenticate(bearerToken(event.headers?.authorization));
    logger.appendKeys({ tenant: context.agent.tenantId, vm: context.agent.moId });
    return;
  }
  const sessionId = event.headers?.[dialect.sessionHeader];
  const vmRef = auth.vm?.(event);
  const found = await Sessions.authenticateWithVm(sessionId, vmRef);
  context.session = found.session;
  context.vm = found.vm;
  logger.appendKeys({ tenant: found.session.tenantId, user: found.session.userName });
}

/** The session of an endpoint declared with session authentication. */
export function sessionOf(request: RequestContext): SessionRecord {
  if (!request.session) throw Unauthenticated();
  return request.session;
}

export const bearerToken = (header: string | undefined): string | undefined =>
  header?.match(/^Bearer\s+(\S+)$/i)?.[1];

function parseBody(event: HttpEvent): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > config.maxBodyBytes()) {
    throw InvalidArgument(`The request body exceeds ${config.maxBodyBytes()} bytes.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw InvalidArgument('The request body is not valid JSON.');
  }
}

function invalidInput(error: z.ZodError): DomainError {
  const issue = error.issues[0]!;
  // The first path element is the request part (path/query/headers/body); clients know fields, not parts.
  const [part, ...fieldPath] = issue.path;
  const field = fieldPath.join('.') || String(part ?? '');
  const where = part === 'body' && fieldPath.length === 0 ? 'the request body' : field;
  return InvalidArgument(`Invalid value for ${where}: ${issue.message}.`, { field });
}

function renderFailure(dialect: Dialect, error: unknown): HttpResponse {
  if (error instanceof DomainError) {
    if (!error.exposable) logger.error('request failed', { kind: error.kind, error: describeCause(error) });
    return dialect.renderError(error);
  }
  logger.error('unexpected failure', { error: describeCause(error) });
  return dialect.renderError(new DomainError('internal', 'An internal error occurred.'));
}

/** Error name and message only: SDK errors can echo request parameters, so no stack or metadata dumps. */
function describeCause(error: unknown): { name?: string; message?: string; cause?: string } {
  const err = error as { name?: string; message?: string; cause?: { name?: string } };
  return { name: err?.name, message: err?.message, cause: err?.cause?.name };
}

function logRequest(event: HttpEvent, status: number, state: State | undefined, error?: unknown): void {
  if (state?.timedOut) return;
  const durationMs = state ? Date.now() - state.startedAt : undefined;
  const kind = error instanceof DomainError ? error.kind : error ? 'internal' : undefined;
  logger.info('request', { method: event.requestContext?.http?.method, status, durationMs, errorKind: kind });
  logger.resetKeys();
}
