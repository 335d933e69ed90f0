import fc from 'fast-check';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { DomainError, ERROR_FACTORIES, type DomainErrorKind } from '../../lib/core/errors.js';
import { negotiateMicroversion } from '../../lib/dialects/nova/endpoint.js';
import { nova } from '../../lib/dialects/nova/index.js';
import { vcenterApi } from '../../lib/dialects/vcenter/index.js';
import { vim25 } from '../../lib/dialects/vim25/index.js';
import { authenticate } from '../../lib/http/authenticate.js';
import type { EndpointContext, EndpointMiddleware } from '../../lib/http/context.js';
import { withDeadline } from '../../lib/http/deadline.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { jsonBody } from '../../lib/http/json-body.js';
import { renderErrors } from '../../lib/http/render-errors.js';
import { requestLog } from '../../lib/http/request-log.js';
import { responseHeaders } from '../../lib/http/response-headers.js';
import type { HttpEvent, HttpResponse } from '../../lib/http/types.js';
import { validate } from '../../lib/http/validate.js';

/** Any API Gateway v2 event a client could make us receive (within what API Gateway passes on). */
const anyEvent: fc.Arbitrary<HttpEvent> = fc
  .record({
    headers: fc.dictionary(fc.constantFrom('authorization', 'x-auth-token', 'vmware-api-session-id', 'openstack-api-version', 'x-openstack-nova-api-version', 'content-type'), fc.string()),
    pathParameters: fc.option(fc.dictionary(fc.constantFrom('vm', 'server_id', 'release', 'moId'), fc.string()), { nil: undefined }),
    queryStringParameters: fc.option(fc.dictionary(fc.string(), fc.string()), { nil: undefined }),
    body: fc.option(fc.oneof(fc.string(), fc.json(), fc.base64String()), { nil: undefined }),
    isBase64Encoded: fc.boolean(),
  })
  .map((parts) => ({ ...parts, routeKey: 'POST /fuzz', rawPath: '/fuzz', requestContext: { http: { method: 'POST' } } }) as unknown as HttpEvent);

const KINDS = Object.keys(ERROR_FACTORIES) as DomainErrorKind[];

interface TestRequest {
  event: HttpEvent;
  context: EndpointContext;
  response: HttpResponse | undefined;
  error: unknown;
  internal: Record<string, unknown>;
}
const requestOf = (event: HttpEvent): TestRequest => ({
  event,
  context: { endpoint: { requestId: 'unit', startedAt: Date.now() } } as EndpointContext,
  response: undefined,
  error: undefined,
  internal: {},
});
type Hook = (request: TestRequest) => Promise<unknown>;
const hook = (middleware: EndpointMiddleware, name: 'before' | 'after' | 'onError') => middleware[name] as unknown as Hook;

/** A hook either passes or throws one of the given domain error kinds, never anything else. */
async function passesOrRefuses(run: () => Promise<unknown>, kinds: DomainErrorKind[]): Promise<DomainError | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect(kinds).toContain((error as DomainError).kind);
    return error as DomainError;
  }
}

describe('jsonBody', () => {
  it('parses any body into a value or refuses it as an invalid argument', async () => {
    await fc.assert(
      fc.asyncProperty(anyEvent, async (event) => {
        const request = requestOf(event);
        const refused = await passesOrRefuses(() => hook(jsonBody(), 'before')(request), ['invalid_argument']);
        if (!refused && (event.body ?? '') === '') expect(request.context.endpoint.body).toBeUndefined();
      }),
    );
  });

  it('reads a JSON body, base64 or not', async () => {
    const request = requestOf({ body: Buffer.from('{"a":[1]}').toString('base64'), isBase64Encoded: true } as HttpEvent);
    await hook(jsonBody(), 'before')(request);
    expect(request.context.endpoint.body).toEqual({ a: [1] });
  });
});

describe('validate', () => {
  const schema = z.object({ path: z.object({ vm: z.string().regex(/^vm-\d+$/) }), body: z.object({ n: z.number() }).optional() });

  it('gives the handler the schema output or refuses with the field at fault', async () => {
    await fc.assert(
      fc.asyncProperty(anyEvent, fc.option(fc.json().map((text) => JSON.parse(text) as unknown), { nil: undefined }), async (event, body) => {
        const request = requestOf(event);
        request.context.endpoint.body = body;
        const refused = await passesOrRefuses(() => hook(validate(schema, vcenterApi), 'before')(request), ['invalid_argument']);
        if (refused) expect(refused.message).toMatch(/^Invalid value for /);
        else expect(schema.parse(request.context.endpoint.input)).toEqual(request.context.endpoint.input);
      }),
    );
  });

  it("runs the dialect's path check first (vim25: an unknown release is no such path)", async () => {
    const request = requestOf({ pathParameters: { release: '7.0.3.0' } } as unknown as HttpEvent);
    const refused = await passesOrRefuses(() => hook(validate(z.object({}), vim25), 'before')(request), ['no_such_path']);
    expect(refused?.kind).toBe('no_such_path');
  });
});

describe('authenticate', () => {
  it('lets anyone through an endpoint without authentication, as a plain request', async () => {
    await fc.assert(
      fc.asyncProperty(anyEvent, async (event) => {
        const request = requestOf(event);
        await hook(authenticate({ kind: 'none' }, vcenterApi), 'before')(request);
        expect(request.context.endpoint.caller).toEqual({ requestId: 'unit', event });
      }),
    );
  });

  it('refuses any presented key that is not the platform key as unauthenticated', async () => {
    await fc.assert(
      fc.asyncProperty(anyEvent, async (event) => {
        const refused = await passesOrRefuses(
          () => hook(authenticate({ kind: 'platform', role: 'operator' }, vcenterApi), 'before')(requestOf(event)),
          ['unauthenticated'],
        );
        expect(refused?.kind).toBe('unauthenticated');
      }),
    );
  });

  it('refuses a VM lookup in a dialect whose paths name no VM when the endpoint is defined', () => {
    const noVm = { ...vcenterApi, vmOf: undefined };
    expect(() => authenticate({ kind: 'session', vm: true }, noVm)).toThrow(/names no VM/);
  });
});

describe('negotiateMicroversion', () => {
  it('negotiates any version header into the headers of every answer, or refuses it as Nova does', async () => {
    await fc.assert(
      fc.asyncProperty(anyEvent, async (event) => {
        const request = requestOf(event);
        const refused = await passesOrRefuses(() => hook(negotiateMicroversion([2, 6]), 'before')(request), [
          'invalid_argument',
          'not_acceptable',
          'not_found',
        ]);
        if (!refused) expect(request.context.endpoint.responseHeaders?.['openstack-api-version']).toMatch(/^compute 2\.\d+$/);
      }),
    );
  });

  it('is 406 for a version above the maximum', async () => {
    const request = requestOf({ headers: { 'openstack-api-version': 'compute 2.200' } } as unknown as HttpEvent);
    const refused = await passesOrRefuses(() => hook(negotiateMicroversion(), 'before')(request), ['not_acceptable']);
    expect(nova.renderError(refused!).statusCode).toBe(406);
  });
});

describe('renderErrors', () => {
  it('answers anything thrown in the dialect, a domain error in its own status, anything else as a 500', async () => {
    const thrown = fc.oneof(
      fc.constantFrom(...KINDS).map((kind) => ERROR_FACTORIES[kind]('x')),
      fc.anything(),
      fc.string().map((message) => new Error(message)),
    );
    await fc.assert(
      fc.asyncProperty(anyEvent, thrown, async (event, error) => {
        const request = requestOf(event);
        request.error = error;
        await hook(renderErrors(vcenterApi), 'onError')(request);
        const expected = vcenterApi.renderError(error instanceof DomainError ? error : ERROR_FACTORIES.internal('x'));
        expect(request.response?.statusCode).toBe(expected.statusCode);
        expect(JSON.parse(request.response!.body!).error_type).toBe(JSON.parse(expected.body!).error_type);
      }),
    );
  });
});

describe('responseHeaders', () => {
  it('adds the declared headers to any answer, a fault too, and leaves the rest of it as it was', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string(), fc.string()),
        fc.option(fc.dictionary(fc.string(), fc.string()), { nil: undefined }),
        fc.constantFrom<'after' | 'onError'>('after', 'onError'),
        async (headers, declared, which) => {
          const request = requestOf({} as HttpEvent);
          request.response = { statusCode: 200, headers, body: 'b' };
          request.context.endpoint.responseHeaders = declared;
          await hook(responseHeaders(), which)(request);
          expect(request.response).toEqual({ statusCode: 200, headers: { ...headers, ...declared }, body: 'b' });
        },
      ),
    );
  });
});

describe('requestLog', () => {
  it('logs any request, answered or failed, without throwing', async () => {
    await fc.assert(
      fc.asyncProperty(anyEvent, fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }), fc.anything(), async (event, status, error) => {
        const request = requestOf(event);
        await hook(requestLog(vcenterApi), 'before')(request);
        request.response = status === undefined ? undefined : { statusCode: status };
        request.error = error;
        await hook(requestLog(vcenterApi), error === undefined ? 'after' : 'onError')(request);
      }),
      { numRuns: 30 },
    );
  });
});

describe('withDeadline', () => {
  const never = () => new Promise<HttpResponse>(() => {});
  const contextWith = (remainingMs: number) => {
    const deadline = Date.now() + remainingMs;
    return { awsRequestId: 'unit', getRemainingTimeInMillis: () => deadline - Date.now() } as unknown as Context;
  };

  it("answers the dialect's timed_out before the invocation's time runs out, whatever time it has", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 5, max: 60 }), fc.constantFrom(vcenterApi, nova, vim25), async (remainingMs, dialect) => {
        const startedAt = Date.now();
        const response = await withDeadline(dialect, never)({} as HttpEvent, contextWith(remainingMs));
        expect(response).toEqual(dialect.renderError(ERROR_FACTORIES.timed_out('The request did not complete in time.')));
        expect(Date.now() - startedAt).toBeLessThan(remainingMs + 1_000);
      }),
      { numRuns: 15 },
    );
  });

  it('passes the answer of a chain that finishes in time, with the request state on the context', async () => {
    const answer = { statusCode: 201, body: 'ok' };
    const response = await withDeadline(vcenterApi, async (_event, context) => ({ ...answer, headers: { id: context.endpoint.requestId } }))(
      {} as HttpEvent,
      contextWith(10_000),
    );
    expect(response).toEqual({ ...answer, headers: { id: 'unit' } });
  });
});

describe('endpoint', () => {
  const handler = endpoint({
    dialect: vcenterApi,
    auth: { kind: 'none' },
    input: z.object({ body: z.object({ n: z.number() }) }),
    handler: async ({ body }) => ({ statusCode: 200, body: JSON.stringify(body) }),
  });

  it('answers any event with a 200 or a 400 in the dialect, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(anyEvent, async (event) => {
        const response = await handler(event, { awsRequestId: 'unit' } as Context);
        expect([200, 400]).toContain(response.statusCode);
        if (response.statusCode === 400) expect(JSON.parse(response.body!).error_type).toBe('INVALID_ARGUMENT');
      }),
      { numRuns: 50 },
    );
  });
});
