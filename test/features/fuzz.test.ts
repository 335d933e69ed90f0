/**
 * Property-based fuzzing of every route in serverless.yml, in every dialect: malformed and random bodies,
 * wrong types, huge strings, bad JSON, missing and extra headers, odd path parameters, bad microversions,
 * with and without valid credentials. Every answer must be a success or the dialect's own error with its
 * documented status (never a 5xx; for vim25 never an internal fault), carry no stack trace, and a
 * rejected request must not have written anything.
 *
 * Runs against a table of its own, so the scan digest only moves when this file moves it.
 */
process.env.TABLE_NAME = `fuzz-${process.pid}`;
// A fuzzed tenant DELETE is drained at once when the world is put back (no writes in flight to wait for).
process.env.TENANT_DELETION_SETTLE_SECONDS = '0';

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import * as Sessions from '../../lib/core/sessions.js';
import * as TenantDeletion from '../../lib/core/tenant-deletion.js';
import * as Tenants from '../../lib/core/tenants.js';
import { client } from '../../lib/store/client.js';
import { countRoundTrips } from '../support/store-instrumentation.js';
import { CONSOLE_PROXY, invoke, loginVcenter, OPERATOR, requestContextFor } from '../support/api.js';
import { expectAllowedByIam } from '../support/iam.js';
import {
  answerProblem,
  DEFAULT_PARAMS,
  dialectOf,
  routes,
  sampleEvents,
  scanDigest,
  useOwnTable,
  type Route,
} from '../support/fuzz.js';

const TOTAL_CASES = 10_000;
/** Routes that hash a password (scrypt, ~40 ms a case) get a few cases; the rest share the remainder. */
const isExpensive = (route: Route) =>
  (route.method === 'POST' && /(session|Login|auth\/tokens)$/.test(route.path)) ||
  (route.method === 'PUT' && route.path.endsWith('/users/{user}'));
const EXPENSIVE_CASES = 25;

const expensive = routes.filter(isExpensive);
const cheap = routes.filter((route) => !isExpensive(route));
const cheapCases = Math.ceil((TOTAL_CASES - expensive.length * EXPENSIVE_CASES) / cheap.length);
const casesFor = (route: Route) => (isExpensive(route) ? EXPENSIVE_CASES : cheapCases);

/**
 * CI runs one fixed seed, so a red run replays exactly; `FUZZ_SEED=random npm test -- fuzz` explores new
 * inputs (a failure prints its seed; `FUZZ_SEED=<seed>` replays it).
 */
const SEED = process.env.FUZZ_SEED === 'random' ? undefined : Number(process.env.FUZZ_SEED || 20_261_124);

const credentials = { acme: '', globex: '' };
let writes = 0;

beforeAll(async () => {
  await useOwnTable('fuzz');
  // Write commands that reached the table; a request that sent none cannot have changed it.
  client().middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (/^(Put|Update|Delete|BatchWrite)/.test(context.commandName ?? '')) writes += 1;
      return result;
    },
    { step: 'initialize', name: 'fuzzCountWrites' },
  );
  await renewCredentials();
}, 60_000);

/** A fuzzed case may have logged out, deleted the tenant or changed a password: put the world back. */
async function renewCredentials(): Promise<void> {
  const alive = async (sessionId: string) =>
    Boolean(sessionId) && (await Sessions.authenticateWithVm(sessionId).then(() => true, () => false));
  if ((await alive(credentials.acme)) && (await alive(credentials.globex))) return;
  // A fuzzed DELETE marks a demo tenant deleting; the drain job (run here as its Lambda would) finishes it.
  for (const tenantId of ['acme', 'globex']) {
    const marked = await Tenants.getTenant(tenantId).then((tenant) => tenant.deletingSince !== undefined, () => false);
    const chain = randomUUID();
    for (let run = 0; marked && run < 1000; run += 1) {
      if ((await TenantDeletion.drainTenant({ tenantId, chain }, () => 600_000)).state === 'drained') break;
    }
  }
  const { seedDemoData } = await import('../../scripts/demo-data.js');
  await seedDemoData();
  credentials.acme = await loginVcenter('admin@acme', 'acme-admin-pass');
  credentials.globex = await loginVcenter('admin@globex', 'globex-admin-pass');
}

// ---------------------------------------------------------------- arbitraries

/** Lone surrogates become U+FFFD, so the text can be URL-encoded. */
const wellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8');

const junk = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 200, maxLength: 2000 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '%00',
      '..%2F..%2Fetc%2Fpasswd',
      '../../../etc/passwd',
      "' OR '1'='1",
      '<script>alert(1)</script>',
      '${jndi:ldap://x}',
      'vm-101',
      'vm-201',
      'vm-0',
      'acme',
      'globex',
      'TENANT#acme',
      'SESSION#',
      '\u0000\u0001',
      '\ud800',
      '😀'.repeat(100),
      'x'.repeat(70_000),
      '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101',
      '7c9e6679-7425-40de-944b-e07fc1f90201',
      '00000000-0000-0000-0000-000000000000',
      'null',
      '-1',
      '1e309',
      '__proto__',
      'constructor',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((text) => encodeURIComponent(wellFormed(text))) },
);

/** A path parameter: usually a real one, otherwise junk of every kind. */
const pathParameter = (name: string) =>
  fc.oneof({ weight: 2, arbitrary: fc.constant(DEFAULT_PARAMS[name] ?? 'x') }, { weight: 3, arbitrary: junk });

const forgedSecret = (tenant: string) => fc.base64String({ minLength: 44, maxLength: 44 }).map((text) => `${tenant}.${text.slice(0, 43).replace(/\+/g, '-').replace(/\//g, '_')}`);

/** Which credential the request carries. */
const credential = fc.oneof(
  fc.constant<() => Record<string, string>>(() => ({})),
  fc.constant(() => allSessionHeaders(credentials.acme)),
  fc.constant(() => allSessionHeaders(credentials.globex)),
  forgedSecret('acme').map((forged) => () => allSessionHeaders(forged)),
  junk.map((value) => () => allSessionHeaders(value)),
  fc.constant(() => OPERATOR),
  fc.constant(() => CONSOLE_PROXY),
  junk.map((value) => () => ({ authorization: `Bearer ${value}` })),
  junk.map((value) => () => ({ authorization: `Basic ${value}` })),
  fc
    .tuple(fc.constantFrom('admin@acme', 'viewer@acme', 'nobody@acme', ''), fc.constantFrom('acme-admin-pass', 'wrong', ''))
    .map(([user, password]) => () => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` })),
);

function allSessionHeaders(value: string): Record<string, string> {
  return { 'vmware-api-session-id': value, 'x-auth-token': value };
}

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/);
const microversion = fc.oneof(
  fc.constantFrom('2.1', '2.6', '2.8', '2.99', '3.0', 'latest', '2', 'abc', '2.1.1', '', ' 2.8 ', '-1.0', '2.0', '2.1000000000000'),
  junk,
);
const extraHeaders = fc.record(
  {
    random: fc.dictionary(headerName, junk, { maxKeys: 4 }),
    contentType: fc.constantFrom('application/json', 'text/plain', 'application/xml', '', 'application/json; charset=utf-16'),
    novaVersion: microversion,
    openstackVersion: microversion.map((version) => `compute ${version}`),
  },
  { requiredKeys: ['random'] },
);

/** A JSON body near the route's sample: the sample with fields dropped, retyped, added or nested. */
function mutated(sample: unknown): fc.Arbitrary<unknown> {
  if (sample === null || typeof sample !== 'object' || Array.isArray(sample)) return fc.jsonValue();
  const object = sample as Record<string, unknown>;
  const keys = Object.keys(object);
  const mutations: fc.Arbitrary<unknown>[] = [fc.constant(object), fc.constant([object]), fc.constant({})];
  if (keys.length > 0) {
    mutations.push(
      fc.constantFrom(...keys).map((key) => Object.fromEntries(Object.entries(object).filter(([name]) => name !== key))),
      fc.tuple(fc.constantFrom(...keys), fc.oneof(fc.jsonValue(), junk)).map(([key, value]) => ({ ...object, [key]: value })),
      fc.constantFrom(...keys).chain((key) => mutated(object[key]).map((value) => ({ ...object, [key]: value }))),
    );
  }
  mutations.push(fc.tuple(junk, fc.jsonValue()).map(([key, value]) => ({ ...object, [key]: value })));
  return fc.oneof(...mutations);
}

/** An event body (what API Gateway hands over) and whether it is base64. */
function body(sample: unknown): fc.Arbitrary<{ body?: string; isBase64Encoded?: boolean }> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.constant({ body: '' }) },
    { weight: 2, arbitrary: fc.string({ maxLength: 60 }).map((text) => ({ body: text })) },
    { weight: 1, arbitrary: fc.constantFrom('{', '{"a":', '[1,2', 'null', '"x"', '{"type":}', '\u0000').map((text) => ({ body: text })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ body: JSON.stringify(value) })) },
    { weight: 6, arbitrary: mutated(sample).map((value) => ({ body: JSON.stringify(value) })) },
    { weight: 1, arbitrary: fc.constant({ body: JSON.stringify({ padding: 'x'.repeat(70_000) }) }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true })) },
  );
}

// ---------------------------------------------------------------- vim25 over SOAP (POST /sdk)

const SOAP_METHODS: [method: string, self: string, value: string][] = [
  ['RetrieveServiceContent', 'ServiceInstance', 'ServiceInstance'],
  ['CurrentTime', 'ServiceInstance', 'ServiceInstance'],
  ['Login', 'SessionManager', 'SessionManager'],
  ['Logout', 'SessionManager', 'SessionManager'],
  ['SessionIsActive', 'SessionManager', 'SessionManager'],
  ['RetrievePropertiesEx', 'PropertyCollector', 'propertyCollector'],
  ['RetrieveProperties', 'PropertyCollector', 'propertyCollector'],
  ['ContinueRetrievePropertiesEx', 'PropertyCollector', 'propertyCollector'],
  ['CreateContainerView', 'ViewManager', 'ViewManager'],
  ['DestroyView', 'ContainerView', 'session[x]'],
  ['FindByUuid', 'SearchIndex', 'SearchIndex'],
  ['FindAllByUuid', 'SearchIndex', 'SearchIndex'],
  ['FindByInventoryPath', 'SearchIndex', 'SearchIndex'],
  ['AcquireTicket', 'VirtualMachine', 'vm-101'],
  ['AcquireMksTicket', 'VirtualMachine', 'vm-201'],
  ['StartProgramInGuest', 'GuestProcessManager', 'guestOperationsProcessManager'],
  ['ListProcessesInGuest', 'GuestProcessManager', 'guestOperationsProcessManager'],
  ['TerminateProcessInGuest', 'GuestProcessManager', 'guestOperationsProcessManager'],
  ['PowerOffVM_Task', 'VirtualMachine', 'vm-101'],
];
const SOAP_PARAMS = ['ticketType', 'userName', 'password', 'locale', 'specSet', 'propSet', 'objectSet', 'selectSet', 'type', 'path', 'pathSet', 'all', 'skip', 'obj', 'options', 'maxObjects', 'token', 'container', 'recursive', 'uuid', 'vmSearch', 'instanceUuid', 'datacenter', 'inventoryPath', 'vm', 'auth', 'spec', 'programPath', 'arguments', 'envVariables', 'pid', 'pids', 'username', 'interactiveSession', 'sessionID', 'name'];
const xmlText = (text: string) => wellFormed(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, '');

/** A parameter element: a leaf of junk or a real value, with a `type` or `xsi:type` now and then, or nested parameters. */
const soapParam: fc.Arbitrary<string> = fc.letrec<{ param: string }>((tie) => ({
  param: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .tuple(fc.constantFrom(...SOAP_PARAMS), fc.oneof(junk, fc.constantFrom('webmks', 'mks', 'true', 'VirtualMachine', 'view', 'childEntity', 'name', '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101', 'acme/vm/web-01', '42')), fc.constantFrom('', ' type="VirtualMachine"', ' type="ContainerView"', ' xsi:type="TraversalSpec"', ' xsi:type="NamePasswordAuthentication"', ' xsi:type="xsd:int"'))
      .map(([name, value, attribute]) => `<${name}${attribute}>${xmlText(value)}</${name}>`),
    fc
      .tuple(fc.constantFrom(...SOAP_PARAMS), fc.array(tie('param'), { maxLength: 4 }), fc.constantFrom('', ' xsi:type="TraversalSpec"', ' xsi:type="SelectionSpec"'))
      .map(([name, children, attribute]) => `<${name}${attribute}>${children.join('')}</${name}>`),
  ),
})).param;

const soapEnvelope = (method: string, self: string, value: string, params: string, namespace = 'urn:vim25', envelopeNs = 'http://schemas.xmlsoap.org/soap/envelope/') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="${envelopeNs}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ` +
  `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><${method} xmlns="${namespace}"><_this type="${self}">${xmlText(value)}</_this>` +
  `${params}</${method}></soapenv:Body></soapenv:Envelope>`;

let hugeBody: string | undefined;
/** Beyond API Gateway's 10 MB: refused by size before a byte is parsed (built once). */
const huge = () => (hugeBody ??= `<a>${'x'.repeat(11 * 1024 * 1024)}</a>`);

/** SOAP bodies: calls of every method with fuzzed parameters, wrong namespaces, malformed XML, huge and deep bodies, entity tricks. */
function soapBody(sample: string): fc.Arbitrary<{ body?: string; isBase64Encoded?: boolean }> {
  const call = fc
    .tuple(fc.constantFrom(...SOAP_METHODS), fc.oneof(junk, fc.constantFrom('vm-101', 'vm-201', 'group-d1')), fc.array(soapParam, { maxLength: 5 }), fc.boolean())
    .map(([[method, self, value], other, params, keep]) => soapEnvelope(method, self, keep ? value : other, params.join('')));
  return fc.oneof(
    { weight: 8, arbitrary: call.map((body) => ({ body })) },
    { weight: 1, arbitrary: fc.constant({ body: sample }) },
    { weight: 1, arbitrary: fc.nat({ max: sample.length }).map((cut) => ({ body: sample.slice(0, cut) })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('urn:vim24', 'urn:vim25Service', '', 'http://schemas.xmlsoap.org/soap/envelope/'), fc.constantFrom('http://www.w3.org/2003/05/soap-envelope', 'urn:vim25', 'x'))
        .chain(([ns, envelopeNs]) => fc.constantFrom({ body: soapEnvelope('Login', 'SessionManager', 'SessionManager', '', ns) }, { body: soapEnvelope('Login', 'SessionManager', 'SessionManager', '', undefined, envelopeNs) })),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><lolz>&lol2;</lolz>',
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>',
        '<!DOCTYPE x SYSTEM "http://127.0.0.1:1/x.dtd"><x/>',
        soapEnvelope('Login', 'SessionManager', 'SessionManager', '<userName>&unknown;</userName>'),
        soapEnvelope('Login', 'SessionManager', 'SessionManager', '<userName>&#0;&#x110000;</userName>'),
        soapEnvelope('Login', 'SessionManager', 'SessionManager', '<userName><![CDATA[admin@acme]]></userName><!-- c --><?pi x?><password>acme-admin-pass</password>'),
        `${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`,
        soapEnvelope('RetrieveProperties', 'PropertyCollector', 'propertyCollector', `<specSet>${'<propSet><type>VirtualMachine</type><all>true</all></propSet>'.repeat(2000)}</specSet>`),
        '<?xml version="1.0" encoding="UTF-16"?><a/>',
        '\ufeff<a/>',
        '<a xmlns:p="urn:x"><p:b/></a>',
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>',
      ).map((body) => ({ body })),
    },
    { weight: 1, arbitrary: fc.constant(null).map(() => ({ body: huge() })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((body) => ({ body })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true })) },
  );
}

function request(route: Route) {
  const sample = sampleEvents().get(`${route.method} ${route.path}`);
  if (dialectOf(route.path) === 'vim25-soap') return soapRequest(route, sample?.body ?? '');
  let sampleBody: unknown;
  try {
    sampleBody = sample?.body ? JSON.parse(sample.body) : {};
  } catch {
    sampleBody = {};
  }
  return fc.record({
    params: fc.record(Object.fromEntries(route.params.map((name) => [name, pathParameter(name)]))) as fc.Arbitrary<Record<string, string>>,
    query: fc.oneof(
      fc.constant<Record<string, string>>({}),
      fc.dictionary(fc.oneof(junk, fc.constantFrom('~action', 'limit', 'filter.names')), junk, { maxKeys: 3 }),
    ),
    credential,
    extra: extraHeaders,
    body: body(sampleBody),
  });
}

/** A SOAP request: the body fuzzed as XML, with the SOAPAction a client of some release (or none) sends. */
function soapRequest(route: Route, sample: string) {
  return fc.record({
    params: fc.constant<Record<string, string>>({}),
    query: fc.constant<Record<string, string>>({}),
    credential,
    extra: fc.record(
      {
        random: fc.oneof(
          fc.constantFrom('urn:vim25/8.0.3.0', '"urn:vim25/6.5"', 'urn:vim25/7.0.3.2', 'urn:vim25', '', 'urn:vim25/9.9', 'urn:vim26/8.0').map((soapaction) => ({ soapaction })),
          junk.map((soapaction) => ({ soapaction })),
          fc.constant({}),
        ),
        contentType: fc.constantFrom('text/xml; charset=utf-8', 'application/soap+xml', 'application/json', ''),
      },
      { requiredKeys: ['random'] },
    ) as fc.Arbitrary<{ random: Record<string, string>; contentType?: string; novaVersion?: string; openstackVersion?: string }>,
    body: route.method === 'POST' ? soapBody(sample) : fc.constant({}),
  });
}

type FuzzInput = ReturnType<typeof request> extends fc.Arbitrary<infer T> ? T : never;

/** Path parameters DynamoDB or the router cannot take as they are: tried first on every route, whatever the seed. */
const HOSTILE_PARAMS = ['x'.repeat(70_000), '😀'.repeat(600), '', '%00', '../../etc/passwd', 'TENANT#acme'];

/** Every hostile value in every path parameter, with each credential that gets past authentication. */
function hostileExamples(route: Route): [FuzzInput][] {
  const sample = sampleEvents().get(`${route.method} ${route.path}`);
  const defaults = Object.fromEntries(route.params.map((name) => [name, DEFAULT_PARAMS[name] ?? 'x']));
  const passing = [() => allSessionHeaders(credentials.acme), () => OPERATOR, () => CONSOLE_PROXY];
  return route.params.flatMap((name) =>
    HOSTILE_PARAMS.flatMap((value) =>
      passing.map((credential): [FuzzInput] => [
        {
          params: { ...defaults, [name]: value },
          query: {},
          credential,
          extra: { random: {} },
          body: sample?.body ? { body: sample.body } : {},
        },
      ]),
    ),
  );
}

function eventOf(route: Route, input: FuzzInput): APIGatewayProxyEventV2 {
  const { params, query, credential: headersOf, extra, body: payload } = input;
  const headers: Record<string, string> = { host: 'api.test', 'user-agent': 'fuzz', ...extra.random, ...headersOf() };
  if (extra.contentType !== undefined) headers['content-type'] = extra.contentType;
  if (extra.novaVersion !== undefined) headers['x-openstack-nova-api-version'] = extra.novaVersion;
  if (extra.openstackVersion !== undefined) headers['openstack-api-version'] = extra.openstackVersion;
  const rawPath = route.path.replace(/\{([^}+]+)\+?\}/g, (_match, name: string) => encodeURIComponent(wellFormed(params[name] ?? '')));
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath,
    rawQueryString: new URLSearchParams(query).toString(),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: route.params.length ? params : undefined,
    requestContext: requestContextFor(route, rawPath, 'fuzz'),
    ...payload,
  } as APIGatewayProxyEventV2;
}

/** The failing input, with long strings cut so the report stays readable. */
function describeFailure(route: Route, result: fc.RunDetails<[FuzzInput]>): string {
  const cut = (_key: string, value: unknown) =>
    typeof value === 'string' && value.length > 80 ? `${value.slice(0, 40)}…(${value.length} chars)` : value;
  const [input] = result.counterexample ?? [];
  const event = input ? eventOf(route, input) : undefined;
  const shown = event && { pathParameters: event.pathParameters, queryStringParameters: event.queryStringParameters, headers: event.headers, body: event.body, isBase64Encoded: event.isBase64Encoded };
  const cause = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
  return `${route.method} ${route.path} after ${result.numRuns} cases (seed ${result.seed}, path ${result.counterexamplePath}):\n  ${cause}\n  request: ${JSON.stringify(shown, cut)}`;
}

const STACK_TRACE = /\n\s+at\s|node_modules|\.ts:\d+|\.js:\d+:\d+/;

describe('every route, fuzzed', () => {
  it('covers every route with at least 10,000 cases in total', () => {
    expect(routes.reduce((sum, route) => sum + casesFor(route), 0)).toBeGreaterThanOrEqual(TOTAL_CASES);
  });

  it.each(routes.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s answers every input in its dialect, without a 5xx or a write when it refuses',
    async (_name, route) => {
      await renewCredentials();
      const dialect = dialectOf(route.path);
      // The table's digest, kept current: only a request that sent a write command can have changed it.
      let digest = await scanDigest();

      const called = new Set<string>();
      const result = await fc.check(
        fc.asyncProperty(request(route), async (input) => {
          const event = eventOf(route, input);
          const writesBefore = writes;
          const { result: response, live } = await countRoundTrips(() => invoke(event));
          for (const action of live.actions) called.add(action);
          const problem = answerProblem(dialect, response.status, response.body);
          if (problem) throw new Error(`${problem}\n  answer: ${response.status} ${response.text.slice(0, 400)}`);
          if (STACK_TRACE.test(response.text)) throw new Error(`stack trace in answer: ${response.text.slice(0, 400)}`);
          if (writes === writesBefore) return;
          const after = await scanDigest();
          if (response.status >= 400 && after !== digest) throw new Error(`refused with ${response.status} but changed the table`);
          digest = after;
        }),
        { numRuns: casesFor(route), endOnFailure: true, seed: SEED, examples: hostileExamples(route) },
      );
      if (result.failed) throw new Error(describeFailure(route, result));
      // Every path the fuzz reached (refusals included) stays within the function's IAM role.
      expectAllowedByIam(route.functionName, called);
    },
    120_000,
  );
});
