/**
 * Paths no route serves, under each dialect's prefix: API Gateway sends them to the catch-all routes, which
 * answer a 404 in that dialect's own shape (not API Gateway's `{"message":"Not Found"}`, and locally not
 * serverless-offline's list of every route), without touching the table.
 */
import { describe, expect, it } from 'vitest';
import { DIALECT_OF_PREFIX } from '../../lib/dialects/by-path.js';
import { countRoundTrips } from '../support/store-instrumentation.js';
import { api, routes } from '../support/api.js';

const MESSAGE = 'The resource could not be found.';
const vapi = (message = MESSAGE) => [{ args: [], default_message: message, id: 'com.vmware.vapi.std.errors.not_found' }];

describe('routeNotFound', () => {
  it.each([
    ['GET', '/api/vcenter/host', { error_type: 'NOT_FOUND', messages: vapi() }],
    ['PATCH', '/api/session', { error_type: 'NOT_FOUND', messages: vapi() }],
    ['GET', '/rest/vcenter/host', { type: 'com.vmware.vapi.std.errors.not_found', value: { messages: vapi() } }],
    ['POST', '/sdk/vim25/8.0.3.0/HostSystem/host-1/RebootHost_Task', undefined],
    ['GET', '/compute/v2.1/flavors', { itemNotFound: { code: 404, message: MESSAGE } }],
    ['DELETE', '/compute/v2.1/servers', { itemNotFound: { code: 404, message: MESSAGE } }],
    ['GET', '/identity/v3/projects', { error: { code: 404, message: MESSAGE, title: 'Not Found' } }],
    ['GET', '/operator/v2/tenants', { error_type: 'NOT_FOUND', messages: vapi() }],
    ['OPTIONS', '/console-proxy/v1/redemptions', { error_type: 'NOT_FOUND', messages: vapi() }],
    ['GET', '/agent/v1/work', { error_type: 'NOT_FOUND', messages: vapi() }],
  ])('answers %s %s with a 404 in its dialect, reading nothing', async (method, path, body) => {
    const { result: response, roundTrips } = await countRoundTrips(() => api(method, path));
    expect(response.status).toBe(404);
    expect(response.body).toEqual(body);
    if (body === undefined) expect(response.text).toBe('');
    expect(roundTrips).toBe(0);
  });

  it('catches every dialect prefix that serverless.yml routes, and knows the dialect of each', () => {
    const prefixes = new Set(routes.map((route) => /^\/[^/]+/.exec(route.path)![0]).filter((prefix) => prefix !== '/health'));
    expect([...prefixes].sort()).toEqual(Object.keys(DIALECT_OF_PREFIX).sort());
    const catchAlls = routes.filter((route) => route.functionName === 'routeNotFound').map((route) => `${route.method} ${route.path}`);
    expect(catchAlls.sort()).toEqual([...prefixes].map((prefix) => `ANY ${prefix}/{proxy+}`).sort());
  });
});
