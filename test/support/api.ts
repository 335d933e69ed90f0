/**
 * Drives handlers the way API Gateway (HTTP API, payload 2.0) does: the route table is read from
 * serverless.yml and its function files, the event is a real APIGatewayProxyEventV2, and the handler is
 * the module Lambda would load. Responses come back parsed, so tests assert the exact wire body.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { recordIssuedSecrets } from './log-capture.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Route {
  method: string;
  path: string;
  pattern: RegExp;
  params: string[];
  functionName: string;
  handler: string;
}

function loadRoutes(): Route[] {
  const serverless = parse(readFileSync(`${root}serverless.yml`, 'utf8'));
  const routes: Route[] = [];
  for (const entry of serverless.functions as string[]) {
    const file = /\$\{file\(\.\/(.+)\)\}/.exec(entry)![1]!;
    const functions = parse(readFileSync(`${root}${file}`, 'utf8')) as Record<string, any>;
    for (const [functionName, definition] of Object.entries(functions)) {
      for (const event of definition.events ?? []) {
        if (!event.httpApi) continue;
        const { method, path } = event.httpApi;
        const params: string[] = [];
        const source = path.replace(/\{([^}+]+)(\+)?\}/g, (_: string, name: string, greedy?: string) => {
          params.push(name);
          return greedy ? '(.+)' : '([^/]+)';
        });
        routes.push({ method, path, pattern: new RegExp(`^${source}$`), params, functionName, handler: definition.handler });
      }
    }
  }
  return routes;
}

/** Every HTTP route serverless.yml declares, in file order. */
export const routes = loadRoutes();

export interface ApiResponse<T = any> {
  status: number;
  headers: Record<string, string>;
  /** The body parsed as JSON, or the raw text when it is not JSON. */
  body: T;
  text: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
}

let invocations = 0;

/** The API Gateway HTTP API (payload 2.0) event for a request, and the route it matched. */
export function buildEvent(
  method: string,
  target: string,
  options: RequestOptions = {},
): { event: APIGatewayProxyEventV2; route: Route } | undefined {
  const url = new URL(target, 'https://api.test');
  const route = routeFor(method, url.pathname);
  if (!route) return undefined;

  const match = route.pattern.exec(url.pathname)!;
  const pathParameters = Object.fromEntries(route.params.map((name, index) => [name, decodeURIComponent(match[index + 1]!)]));
  const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;

  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: { host: 'api.test', 'user-agent': 'vitest', ...headers },
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: route.params.length ? pathParameters : undefined,
    requestContext: requestContextFor(route, url.pathname, 'vitest', method),
    body,
    isBase64Encoded: false,
  };
  return { event, route };
}

/**
 * The route API Gateway picks for a request: of the routes whose path matches, one without a greedy
 * `{proxy+}` before one with it, and one for the method before an `ANY` route.
 */
function routeFor(method: string, path: string): Route | undefined {
  const rank = (route: Route) => (route.path.includes('+}') ? 2 : 0) + (route.method === 'ANY' ? 1 : 0);
  return routes
    .filter((candidate) => (candidate.method === method || candidate.method === 'ANY') && candidate.pattern.test(path))
    .sort((a, b) => rank(a) - rank(b))[0];
}

/** API Gateway's `requestContext` for a `method` request on `route` at `rawPath`. */
export function requestContextFor(
  route: Route,
  rawPath: string,
  userAgent: string,
  method = route.method,
): APIGatewayProxyEventV2['requestContext'] {
  const now = Date.now();
  return {
    accountId: '123456789012',
    apiId: 'local',
    domainName: 'api.test',
    domainPrefix: 'api',
    http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent },
    requestId: randomUUID(),
    routeKey: `${route.method} ${route.path}`,
    stage: '$default',
    time: new Date(now).toUTCString(),
    timeEpoch: now,
  };
}

export async function api(method: string, target: string, options: RequestOptions = {}): Promise<ApiResponse> {
  const built = buildEvent(method, target, options);
  if (!built) return { status: 404, headers: {}, body: { message: 'Not Found' }, text: '{"message":"Not Found"}' };
  return invoke(built.event);
}

/**
 * Invokes the handler that serverless.yml routes `event.routeKey` to, as Lambda would, with `remainingMs`
 * of the invocation's time left (29 s, the configured timeout, unless told).
 */
export async function invoke(event: APIGatewayProxyEventV2, { remainingMs = 29_000 } = {}): Promise<ApiResponse> {
  const route = routes.find((candidate) => `${candidate.method} ${candidate.path}` === event.routeKey);
  if (!route) throw new Error(`no function serves ${event.routeKey}`);
  const [modulePath, exportName] = splitHandler(route.handler);
  const module = await import(`${root}${modulePath}.ts`);
  const deadline = Date.now() + remainingMs;
  const context = {
    awsRequestId: `test-${++invocations}`,
    functionName: route.functionName,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  } as unknown as Context;
  const result = await module[exportName](event, context);
  recordIssuedSecrets(event, result);
  const text: string = result.body ?? '';
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: result.statusCode, headers: result.headers ?? {}, body: parsed, text };
}

function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}

export const basic = (userName: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${userName}:${password}`).toString('base64')}`,
});

export const OPERATOR = { authorization: 'Bearer demo-operator-key' };
export const CONSOLE_PROXY = { authorization: 'Bearer demo-console-proxy-key' };

/** Logs in through `POST /api/session` and returns the session id. */
export async function loginVcenter(userName = 'admin@acme', password = 'acme-admin-pass'): Promise<string> {
  const response = await api('POST', '/api/session', { headers: basic(userName, password) });
  if (response.status !== 201) throw new Error(`login failed: ${response.status} ${response.text}`);
  return response.body as string;
}

export const session = (sessionId: string) => ({ 'vmware-api-session-id': sessionId });
