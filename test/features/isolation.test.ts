/**
 * Tenant isolation, for every session-authenticated route in serverless.yml: tenant globex's principal
 * naming tenant acme's objects gets exactly the answer it gets for objects that do not exist, and nothing
 * of acme changes. Routes are found from the route table (a route that refuses a forged session is
 * session-authenticated), so a route added later is checked without touching this file — unless it names
 * an object by a path parameter this file has no acme fixture for, which fails loudly.
 */
process.env.TABLE_NAME = `isolation-${process.pid}`;

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { invoke, loginVcenter, type ApiResponse } from '../support/api.js';
import { dialectOf, routes, scanDigest, useOwnTable, validEvent, type Route } from '../support/fuzz.js';

const ACME_UUID = '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101';

/**
 * Path parameters that name an object: acme's real object and one that exists nowhere. `real` is false
 * where acme's value is not a live object of its own (then acme's admin is not expected to be answered
 * differently).
 */
const OBJECTS: Record<string, { acme: string; missing: string; real: boolean }> = {
  vm: { acme: 'vm-101', missing: 'vm-999', real: true },
  // The demo data has no open console: the same unknown session for both (test/features/shadows.test.ts checks
  // another tenant's open sessions).
  session: { acme: '6f1c1c2e-8d4b-4f7a-9a55-0c1e2d3f4a5b', missing: '6f1c1c2e-8d4b-4f7a-9a55-0c1e2d3f4a5b', real: false },
  moId: { acme: 'vm-101', missing: 'vm-999', real: true },
  server_id: { acme: ACME_UUID, missing: '4f1d2c3b-0a9e-4c1a-9b7e-000000000999', real: true },
  pid: { acme: '4242', missing: '4242', real: false },
  console_id: { acme: '1', missing: '1', real: false },
  // The demo data records no console: the same unknown recording id for both (test/features/recordings.test.ts
  // checks another tenant's real recordings).
  recording: { acme: '019af6c2-5d1e-7b3a-9c4e-2f6a8b0c1d2e', missing: '019af6c2-5d1e-7b3a-9c4e-2f6a8b0c1d2e', real: false },
};
/** Parameters that select an API, not an object. */
const NOT_OBJECTS = new Set(['release']);

/** Requests for routes that have no sample in events/ (body and query that pass validation). */
const GUEST_CREDENTIALS = { type: 'USERNAME_PASSWORD', user_name: 'demo', password: 'demo-guest-pass', interactive_session: false };
const REQUESTS: Record<string, { query: Record<string, string>; body: unknown }> = {
  'POST /api/vcenter/vm/{vm}/guest/processes/{pid}': { query: { action: 'get' }, body: { credentials: GUEST_CREDENTIALS } },
  'POST /rest/vcenter/vm/{vm}/guest/processes/{pid}': { query: { '~action': 'get' }, body: { credentials: GUEST_CREDENTIALS } },
};

/** Identifiers of acme's objects that must never show in an answer to globex. */
const ACME_MARKS = ['vm-101', 'vm-102', 'vm-103', 'web-01', 'db-01', 'win-01', ACME_UUID.slice(0, 24), 'admin@acme', 'viewer@acme'];

let acme = '';
const sessionRoutes: Route[] = [];

beforeAll(async () => {
  await useOwnTable('isolation');
  acme = await loginVcenter('admin@acme', 'acme-admin-pass');
  for (const route of routes) {
    if (['platform', 'health'].includes(dialectOf(route.path))) continue;
    const probe = await invoke(await requestFor(route, `globex.${'A'.repeat(16)}.${'A'.repeat(43)}`, (name) => OBJECTS[name]?.missing));
    if (isUnauthenticated(probe)) sessionRoutes.push(route);
  }
}, 60_000);

const isUnauthenticated = (response: ApiResponse) =>
  response.status === 401 || (response.status === 500 && response.body?._typeName === 'NotAuthenticated');

async function requestFor(route: Route, sessionId: string, valueOf: (name: string) => string | undefined): Promise<APIGatewayProxyEventV2> {
  const event = await validEvent(route, sessionId);
  const extra = REQUESTS[`${route.method} ${route.path}`];
  const pathParameters = { ...(event.pathParameters ?? {}) };
  for (const name of route.params) pathParameters[name] = valueOf(name) ?? pathParameters[name] ?? '';
  const rawPath = route.path.replace(/\{([^}+]+)\+?\}/g, (_match, name: string) => encodeURIComponent(pathParameters[name]!));
  return {
    ...event,
    rawPath,
    pathParameters: route.params.length ? pathParameters : undefined,
    requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path: rawPath } },
    ...(extra
      ? { queryStringParameters: extra.query, rawQueryString: new URLSearchParams(extra.query).toString(), body: JSON.stringify(extra.body) }
      : {}),
  };
}

/** The answer with the named object ids replaced, so "vm-101 not found" and "vm-999 not found" compare equal. */
function normalized(response: ApiResponse, values: string[]) {
  let text = response.text;
  for (const value of values.filter(Boolean).sort((a, b) => b.length - a.length)) text = text.split(value).join('{object}');
  return { status: response.status, body: text };
}

/** Every item of acme, in every partition its keys hold it under. */
const acmePartition = () => scanDigest('acme');

describe('tenant isolation', () => {
  it('finds every route that names an object by a session-authenticated one, in both vCenter forms', () => {
    const key = (route: Route) => `${route.method} ${route.path}`;
    const naming = routes.filter((route) => dialectOf(route.path) !== 'platform' && route.params.some((name) => OBJECTS[name]));
    expect(naming.filter((route) => !sessionRoutes.includes(route)).map(key)).toEqual([]);
    expect(sessionRoutes.map(key)).toEqual(
      expect.arrayContaining(['GET /api/vcenter/vm/{vm}', 'GET /rest/vcenter/vm/{vm}', 'GET /compute/v2.1/servers/{server_id}', 'GET /api/session']),
    );
  });

  it('has an acme fixture for every path parameter that names an object', () => {
    const unknown = sessionRoutes.flatMap((route) =>
      route.params.filter((name) => !NOT_OBJECTS.has(name) && !OBJECTS[name]).map((name) => `${route.method} ${route.path}: {${name}}`),
    );
    expect(unknown).toEqual([]);
  });

  it('answers globex about acme\'s objects exactly as about objects that do not exist, and changes nothing of acme', async () => {
    const objectRoutes = sessionRoutes.filter((route) => route.params.some((name) => OBJECTS[name]));
    expect(objectRoutes.length).toBeGreaterThanOrEqual(4);
    // Give acme something behind every route first (tickets, consoles, ...): its admin creates them.
    for (const route of objectRoutes.filter((candidate) => candidate.method === 'POST')) {
      await invoke(await requestFor(route, acme, (param) => OBJECTS[param]?.acme));
    }
    for (const route of objectRoutes) {
      const name = `${route.method} ${route.path}`;
      const globex = await loginVcenter('admin@globex', 'globex-admin-pass');
      const before = await acmePartition();
      const values = route.params.flatMap((param) => (OBJECTS[param] ? [OBJECTS[param]!.acme, OBJECTS[param]!.missing] : []));
      const foreign = await invoke(await requestFor(route, globex, (param) => OBJECTS[param]?.acme));
      const missing = await invoke(await requestFor(route, globex, (param) => OBJECTS[param]?.missing));
      // Some answers about a missing object are not errors (Nova lists no consoles for any unknown server).
      // (The ids the request itself named may be echoed; nothing else of acme may show.)
      for (const mark of ACME_MARKS) expect(normalized(foreign, values).body, name).not.toContain(mark);
      expect(normalized(foreign, values), name).toEqual(normalized(missing, values));
      expect(await acmePartition(), `${name} changed acme's partition`).toBe(before);

      // The fixture is a real acme object: acme's own admin is answered differently.
      if (route.params.every((param) => NOT_OBJECTS.has(param) || OBJECTS[param]?.real)) {
        const own = await invoke(await requestFor(route, acme, (param) => OBJECTS[param]?.acme));
        expect(normalized(own, values), `${name}: acme's admin is answered as for a missing object`).not.toEqual(normalized(missing, values));
      }
    }
  });

  it('shows globex nothing of acme on the routes that name no object', async () => {
    const listing = sessionRoutes.filter((route) => !route.params.some((name) => OBJECTS[name]));
    for (const route of listing) {
      const globex = await loginVcenter('admin@globex', 'globex-admin-pass');
      const before = await acmePartition();
      const response = await invoke(await requestFor(route, globex, () => undefined));
      expect(response.status, `${route.method} ${route.path}: ${response.text}`).toBeLessThan(500);
      for (const mark of ACME_MARKS) expect(response.text, `${route.method} ${route.path}`).not.toContain(mark);
      expect(await acmePartition(), `${route.method} ${route.path} changed acme's partition`).toBe(before);
    }
  });
});
