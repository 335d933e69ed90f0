/**
 * What the adversarial suites share: each route's dialect (from its path prefix), each dialect's error
 * contract in ONE table, a private table per test file, scan digests, and valid sample requests.
 * Everything is derived from the route table in serverless.yml, so a route added later is covered by the
 * fuzz, isolation and fault suites without touching them.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { client, tableName } from '../../lib/store/client.js';
import { ensureTable } from '../../scripts/local-dynamodb.js';
import { basic, buildEvent, loginVcenter, routes, type RequestOptions, type Route } from './api.js';
import { SESSION_PLACEHOLDER } from './events.js';
import { keys, SK } from '../../lib/store/keys.js';

export type DialectName = 'vcenter-rest' | 'vcenter-api' | 'vim25' | 'vim25-soap' | 'nova' | 'keystone' | 'platform' | 'health';

/** A route's dialect, from its path prefix. */
export function dialectOf(path: string): DialectName {
  if (path.startsWith('/rest/')) return 'vcenter-rest';
  if (path.startsWith('/api/')) return 'vcenter-api';
  if (path === '/sdk' || path.startsWith('/sdk/vimService')) return 'vim25-soap';
  if (path.startsWith('/sdk/')) return 'vim25';
  if (/^\/compute(\/|$)/.test(path)) return 'nova';
  if (/^\/identity(\/|$)/.test(path)) return 'keystone';
  if (/^\/(operator|console-proxy|agent)\//.test(path)) return 'platform';
  if (path === '/health') return 'health';
  throw new Error(`no dialect for route ${path}: add its prefix to test/support/fuzz.ts`);
}

// vAPI standard errors and the HTTP status the vAPI REST binding gives each (4xx and 503/504 only: the fuzz
// accepts no other 5xx).
const VAPI_STATUS: Record<string, number> = {
  already_exists: 400,
  already_in_desired_state: 400,
  invalid_argument: 400,
  invalid_request: 400,
  not_allowed_in_current_state: 400,
  unsupported: 400,
  unexpected_input: 400,
  unauthenticated: 401,
  unauthorized: 403,
  not_found: 404,
  concurrent_change: 409,
  service_unavailable: 503,
  timed_out: 504,
};
// Nova's Fault._fault_names (nova/api/openstack/wsgi.py): the fault name is a function of the status.
const NOVA_FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  406: 'computeFault',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  503: 'serviceUnavailable',
};
// Keystone's error titles (keystone/exception.py), by status.
const KEYSTONE_TITLES: Record<number, string[]> = {
  400: ['Bad Request', 'Validation Error'],
  401: ['Unauthorized', 'Not Authorized'],
  403: ['Forbidden'],
  404: ['Not Found'],
  409: ['Conflict'],
  503: ['Service Unavailable'],
};

const isVapiMessages = (messages: unknown, type: string): boolean =>
  Array.isArray(messages) &&
  messages.length > 0 &&
  messages.every(
    (message) =>
      Array.isArray(message?.args) &&
      typeof message?.default_message === 'string' &&
      message.default_message.length > 0 &&
      message.id === `com.vmware.vapi.std.errors.${type}`,
  );

export interface DialectContract {
  /** Where a session id travels; undefined for dialects without sessions. */
  sessionHeader?: string;
  /** Why `(status, body)` is not a well-formed error answer of this dialect; undefined when it is. */
  errorProblem(status: number, body: any): string | undefined;
  /** Whether `(status, body)` is this dialect's documented "data service unavailable" answer. */
  isUnavailable(status: number, body: any): boolean;
}

/** The error contract of every dialect, in one table. */
export const DIALECTS: Record<DialectName, DialectContract> = {
  'vcenter-rest': {
    sessionHeader: 'vmware-api-session-id',
    errorProblem(status, body) {
      const type = /^com\.vmware\.vapi\.std\.errors\.([a-z_]+)$/.exec(body?.type ?? '')?.[1];
      if (!type || VAPI_STATUS[type] === undefined) return `not a vAPI /rest error type: ${JSON.stringify(body?.type)}`;
      if (VAPI_STATUS[type] !== status) return `${type} must be ${VAPI_STATUS[type]}, was ${status}`;
      if (!isVapiMessages(body?.value?.messages, type)) return 'value.messages is not a vAPI message list';
      if (Object.keys(body).sort().join() !== 'type,value') return 'extra top-level fields';
      return undefined;
    },
    isUnavailable: (status, body) => status === 503 && body?.type === 'com.vmware.vapi.std.errors.service_unavailable',
  },
  'vcenter-api': {
    sessionHeader: 'vmware-api-session-id',
    errorProblem: vapiApiProblem,
    isUnavailable: (status, body) => status === 503 && body?.error_type === 'SERVICE_UNAVAILABLE',
  },
  // vim25 answers every fault with HTTP 500 (the protocol's rule); an internal error is a SystemError.
  vim25: {
    sessionHeader: 'vmware-api-session-id',
    errorProblem(status, body) {
      // An unknown {release} names no API: answered as a path that does not exist (lib/dialects/vim25/release.ts).
      if (status === 404 && (body === undefined || body === '')) return undefined;
      if (status !== 500) return `vim25 faults are HTTP 500, was ${status}`;
      if (typeof body?._typeName !== 'string' || !/^[A-Z][A-Za-z]+$/.test(body._typeName)) return 'no fault _typeName';
      if (['SystemError', 'RuntimeFault', 'HostCommunication'].includes(body._typeName)) return `internal fault ${body._typeName}`;
      if (typeof body.faultstring !== 'string' || body.faultstring.length === 0) return 'no faultstring';
      return undefined;
    },
    isUnavailable: (status, body) =>
      status === 500 && body?._typeName === 'HostCommunication' && typeof body.faultstring === 'string',
  },
  // vim25 over SOAP: every fault is HTTP 500 with a SOAP fault whose detail is the vim25 fault; the body is XML.
  'vim25-soap': {
    sessionHeader: 'vmware-api-session-id',
    errorProblem(status, body) {
      if (status !== 500) return `SOAP faults are HTTP 500, was ${status}`;
      const fault = SOAP_FAULT.exec(typeof body === 'string' ? body : '');
      if (!fault) return 'not a SOAP fault with a vim25 fault in its detail';
      if (fault[1] === '') return 'no faultstring';
      if (['SystemError', 'RuntimeFault', 'HostCommunication'].includes(fault[2]!)) return `internal fault ${fault[2]}`;
      return undefined;
    },
    isUnavailable: (status, body) => status === 500 && typeof body === 'string' && /xsi:type="HostCommunication"/.test(body),
  },
  nova: {
    sessionHeader: 'x-auth-token',
    errorProblem(status, body) {
      const names = body && typeof body === 'object' ? Object.keys(body) : [];
      if (names.length !== 1) return 'a Nova fault has exactly one top-level key';
      if (NOVA_FAULT_NAMES[status] === undefined) return `status ${status} is not a documented Nova error`;
      if (names[0] !== NOVA_FAULT_NAMES[status]) return `status ${status} is ${NOVA_FAULT_NAMES[status]}, not ${names[0]}`;
      const fault = body[names[0]!];
      if (fault?.code !== status || typeof fault?.message !== 'string') return 'fault needs code (= status) and message';
      return undefined;
    },
    isUnavailable: (status, body) => status === 503 && body?.serviceUnavailable?.code === 503,
  },
  keystone: {
    sessionHeader: 'x-auth-token',
    errorProblem(status, body) {
      const error = body?.error;
      if (!error || Object.keys(body).length !== 1) return 'a Keystone error is {"error":{...}}';
      if (!KEYSTONE_TITLES[status]) return `status ${status} is not a documented Keystone error`;
      if (error.code !== status || typeof error.message !== 'string') return 'error needs code (= status) and message';
      if (!KEYSTONE_TITLES[status]!.includes(error.title)) return `title ${error.title} does not match ${status}`;
      return undefined;
    },
    isUnavailable: (status, body) => status === 503 && body?.error?.code === 503,
  },
  // The operator, console-proxy and guest-agent APIs are ours and answer errors in the /api shape.
  platform: {
    errorProblem: vapiApiProblem,
    isUnavailable: (status, body) => status === 503 && body?.error_type === 'SERVICE_UNAVAILABLE',
  },
  // Health touches no table: it can refuse a malformed request (in the /api shape) but is never unavailable.
  health: {
    errorProblem: vapiApiProblem,
    isUnavailable: () => false,
  },
};

const SOAP_FAULT =
  /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<soapenv:Envelope [^>]+>\n<soapenv:Body>\n<soapenv:Fault>\n<faultcode>(?:Server|Client)FaultCode<\/faultcode>\n<faultstring>([^<]*)<\/faultstring>\n<detail><([A-Za-z]+)Fault xmlns="urn:vim25" xsi:type="\2">.*<\/\2Fault><\/detail>\n<\/soapenv:Fault>\n<\/soapenv:Body>\n<\/soapenv:Envelope>$/s;

function vapiApiProblem(status: number, body: any): string | undefined {
  const upper = typeof body?.error_type === 'string' ? body.error_type : '';
  const type = upper.toLowerCase();
  if (!type || VAPI_STATUS[type] === undefined || upper !== type.toUpperCase()) return `not a vAPI /api error_type: ${JSON.stringify(body?.error_type)}`;
  if (VAPI_STATUS[type] !== status) return `${upper} must be ${VAPI_STATUS[type]}, was ${status}`;
  if (!isVapiMessages(body?.messages, type)) return 'messages is not a vAPI message list';
  return undefined;
}

/**
 * Checks one answer against its dialect: no 5xx (vim25: no internal fault), and every error in the
 * dialect's shape with its documented status. Returns the problem, or undefined.
 */
export function answerProblem(dialect: DialectName, status: number, body: unknown): string | undefined {
  if (status < 400) return status >= 200 ? undefined : `unexpected status ${status}`;
  return DIALECTS[dialect].errorProblem(status, body);
}

// ---------------------------------------------------------------- a private table per test file

/**
 * Points this worker at a fresh table of its own on the suite's dynalite, seeded with the demo data, so a
 * scan digest only changes when this file changes something. Config is read at call time.
 */
export async function useOwnTable(prefix: string): Promise<string> {
  const name = `${prefix}-${process.pid}-${Date.now().toString(36)}`;
  process.env.TABLE_NAME = name;
  await ensureTable(process.env.DYNAMODB_ENDPOINT!, name);
  const { seedDemoData } = await import('../../scripts/demo-data.js');
  await seedDemoData();
  return name;
}

/** Every item of the current table (or of one tenant's partitions, all of them), sorted. */
export async function scanItems(tenantId?: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client().send(
      new ScanCommand({
        TableName: tableName(),
        ExclusiveStartKey,
        ConsistentRead: true,
      }),
    );
    items.push(...(page.Items ?? []).filter((item) => tenantId === undefined || keys.tenantOf(String(item.pk)) === tenantId));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}

/**
 * The one write a refused request makes on purpose: a failed login is counted (the lockout needs it). The
 * digest leaves those counters out, so "a refused request wrote nothing" means everything else.
 */
const isLoginFailureCounter = (item: Record<string, unknown>) => String(item.sk).startsWith(SK.loginFailures);

/** A digest of the table's state (or of one tenant's items). */
export async function scanDigest(tenantId?: string): Promise<string> {
  const items = (await scanItems(tenantId)).filter((item) => !isLoginFailureCounter(item));
  return createHash('sha256').update(JSON.stringify(items, Object.keys(Object.assign({}, ...items)).sort())).digest('hex');
}

// ---------------------------------------------------------------- valid sample requests

const eventsFolder = fileURLToPath(new URL('../../events/', import.meta.url));

/** The sample events in events/, by route key (the first sample of a route wins). */
export function sampleEvents(): Map<string, APIGatewayProxyEventV2> {
  const samples = new Map<string, APIGatewayProxyEventV2>();
  for (const name of readdirSync(eventsFolder).filter((file) => file.endsWith('.json')).sort()) {
    const event = JSON.parse(readFileSync(`${eventsFolder}${name}`, 'utf8')) as APIGatewayProxyEventV2;
    if (!samples.has(event.routeKey)) samples.set(event.routeKey, event);
  }
  return samples;
}

const GUEST = { credentials: { type: 'USERNAME_PASSWORD', user_name: 'demo', password: 'demo-guest-pass', interactive_session: false } };

/**
 * Valid requests of the routes that have no sample of their own: a vCenter function's sample (events/, one a
 * function) is of its /api route, so its /rest route's is here (`session` fills the session header).
 */
const REST_FORM_REQUESTS: Record<string, (session: string) => [path: string, options: RequestOptions]> = {
  'POST /rest/com/vmware/cis/session': () => ['/rest/com/vmware/cis/session', { headers: basic('admin@acme', 'acme-admin-pass') }],
  'DELETE /rest/com/vmware/cis/session': (session) => ['/rest/com/vmware/cis/session', { headers: vcenter(session) }],
  'POST /rest/vcenter/vm/{vm}/console/tickets': (session) => [
    '/rest/vcenter/vm/vm-101/console/tickets',
    { headers: vcenter(session), body: { spec: { type: 'VMRC' } } },
  ],
  'GET /rest/vcenter/vm': (session) => ['/rest/vcenter/vm?filter.names=web-01&filter.power_states=POWERED_ON', { headers: vcenter(session) }],
  'GET /rest/vcenter/vm/{vm}': (session) => ['/rest/vcenter/vm/vm-101', { headers: vcenter(session) }],
  'GET /rest/vcenter/vm/{vm}/power': (session) => ['/rest/vcenter/vm/vm-101/power', { headers: vcenter(session) }],
  'GET /rest/vcenter/vm/{vm}/tools': (session) => ['/rest/vcenter/vm/vm-101/tools', { headers: vcenter(session) }],
  'GET /rest/appliance/networking/interfaces': (session) => ['/rest/appliance/networking/interfaces', { headers: vcenter(session) }],
  'POST /rest/vcenter/vm/{vm}/guest/processes': (session) => [
    '/rest/vcenter/vm/vm-101/guest/processes?~action=list',
    { headers: vcenter(session), body: GUEST },
  ],
  'POST /rest/vcenter/vm/{vm}/guest/processes/{pid}': (session) => [
    '/rest/vcenter/vm/vm-101/guest/processes/4242?~action=delete',
    { headers: vcenter(session), body: GUEST },
  ],
};
const vcenter = (session: string) => ({ 'vmware-api-session-id': session });

/**
 * A valid request for a route: its sample event (with a live acme session where the sample has the
 * placeholder), its /rest form's request, or an empty request on the route's template path with the
 * placeholder filled in.
 */
export async function validEvent(route: Route, sessionId?: string): Promise<APIGatewayProxyEventV2> {
  const sample = sampleEvents().get(`${route.method} ${route.path}`);
  const session = sessionId ?? (await loginVcenter());
  if (sample) {
    const event = JSON.parse(JSON.stringify(sample).replaceAll(SESSION_PLACEHOLDER, session)) as APIGatewayProxyEventV2;
    return { ...event, requestContext: { ...event.requestContext, requestId: `valid-${Math.random()}` } };
  }
  const restForm = REST_FORM_REQUESTS[`${route.method} ${route.path}`];
  if (restForm) return buildEvent(route.method, ...restForm(session))!.event;
  const path = route.path.replace(/\{([^}+]+)\+?\}/g, (_match, name: string) => DEFAULT_PARAMS[name] ?? 'x');
  return buildEvent(route.method, path, { headers: sessionHeaders(route, session) })!.event;
}

/** Values of well-known path parameters that name acme's demo objects. */
export const DEFAULT_PARAMS: Record<string, string> = {
  vm: 'vm-101',
  moId: 'vm-101',
  tenant: 'acme',
  user: 'viewer@acme',
  release: '8.0.2.0',
  server_id: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101',
  serverId: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101',
};

/** The credential headers a route's dialect takes, carrying `sessionId`. */
export function sessionHeaders(route: Route, sessionId: string): Record<string, string> {
  const header = DIALECTS[dialectOf(route.path)].sessionHeader;
  return header ? { [header]: sessionId } : {};
}

export { routes, type Route };
