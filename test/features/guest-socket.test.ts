/**
 * The agents' WebSocket API handlers in this process, with the events API Gateway gives them ($connect's
 * REQUEST authorizer, $connect, health, $disconnect) against the local DynamoDB, each function's calls held
 * to its IAM role; and the push adapter against a connection management endpoint answering as API Gateway
 * does (a notice accepted, or 410 Gone).
 */
import type { Context } from 'aws-lambda';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Socket from '../../functions/guest-agent/agent-socket.js';
import { countRoundTrips } from '../support/store-instrumentation.js';
import { getAgent, listWorkIds } from '../../lib/store/guest.js';
import { api, loginVcenter, OPERATOR, session } from '../support/api.js';
import { expectAllowedByIam } from '../support/iam.js';
import { labVmSpec } from '../support/lab.js';

const tenant = `socket-${randomBytes(3).toString('hex')}`;
const methodArn = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/test/$connect';
const context = { awsRequestId: 'socket-test', functionName: 'socket', getRemainingTimeInMillis: () => 29_000 } as unknown as Context;
const GOOD = { type: 'USERNAME_PASSWORD', user_name: 'demo', password: 'demo-guest-pass', interactive_session: false };

async function operator(method: string, path: string, body?: unknown) {
  const response = await api(method, `/operator/v1/tenants/${tenant}${path}`, { headers: OPERATOR, body });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  return response.body;
}

async function enrol(moId: string): Promise<string> {
  await operator('PUT', `/vms/${moId}`, labVmSpec(moId));
  const { credential } = (await operator('POST', `/vms/${moId}/agent-credentials`)) as { credential: string };
  const publicKey = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const registered = await api('PUT', '/agent/v1/registration', { headers: { authorization: `Bearer ${credential}` }, body: { publicKey, agentVersion: 'test' } });
  expect(registered.status).toBe(200);
  return credential;
}

/** Runs `handler` as `functionName` does on AWS, holding its DynamoDB calls to its role. */
async function run(functionName: string, handler: (event: unknown, context: Context) => Promise<unknown>, event: unknown): Promise<any> {
  const { result, live } = await countRoundTrips(() => handler(event, context));
  expectAllowedByIam(functionName, live.actions);
  return result;
}

const authorizerEvent = (headers: Record<string, string>) => ({
  type: 'REQUEST',
  methodArn,
  headers,
  requestContext: { routeKey: '$connect', eventType: 'CONNECT', connectionId: 'pending', apiId: 'abcdef1234', stage: 'test' },
});
const connectionEvent = (routeKey: string, connectionId: string, authorizer: unknown) => ({
  requestContext: { routeKey, eventType: routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE', connectionId, authorizer },
  ...(routeKey === 'health' ? { body: '{"action":"health"}' } : {}),
});

/** A connection management endpoint as API Gateway serves it: each POST recorded, answered 200 or 410 Gone. */
let management: Server;
const posted: { path: string; body: string }[] = [];
const goneConnections = new Set<string>();
/** Connections whose notices the endpoint refuses as a throttled API Gateway does (429). */
const throttledConnections = new Set<string>();

beforeAll(async () => {
  await operator('PUT', '', { displayName: 'Agent WebSocket API tests' });
  management = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      const id = decodeURIComponent(request.url!.replace(/^\/@connections\//, ''));
      posted.push({ path: `${request.method} ${request.url}`, body });
      response.writeHead(goneConnections.has(id) ? 410 : throttledConnections.has(id) ? 429 : 200).end();
    });
  });
  await new Promise<void>((resolve) => management.listen(0, '127.0.0.1', resolve));
  process.env.AGENT_CONNECTIONS_ENDPOINT = `http://127.0.0.1:${(management.address() as AddressInfo).port}`;
});

const cleanups: (() => unknown)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups) cleanup();
  delete process.env.AGENT_CONNECTIONS_ENDPOINT;
  management.close();
  await api('DELETE', `/operator/v1/tenants/${tenant}`, { headers: OPERATOR });
});

describe('the $connect authorizer', () => {
  it('allows the agent credential, with the tenant, VM and credential digest as the context', async () => {
    const credential = await enrol('vm-auth');
    const policy = await run('guestAgentAuthorize', Socket.authorize, authorizerEvent({ Authorization: `Bearer ${credential}` }));
    expect(policy).toEqual({
      principalId: `${tenant}/vm-auth`,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }] },
      context: { tenantId: tenant, moId: 'vm-auth', credentialHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
  });

  it.each([
    ['no credential', {}],
    ['a forged credential', { Authorization: `Bearer ${tenant}.vm-auth.${'A'.repeat(43)}` }],
    ['a session id', { Authorization: 'Bearer acme.notanagentcredential' }],
  ])('denies %s', async (_case, headers) => {
    const policy = await run('guestAgentAuthorize', Socket.authorize, authorizerEvent(headers));
    expect(policy).toEqual({
      principalId: 'unknown',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: methodArn }] },
    });
  });
});

describe('$connect, health and $disconnect', () => {
  it('record the VM\'s connection, its health, and forget it only for the connection that closed', async () => {
    const credential = await enrol('vm-conn');
    const { context: identity } = await Socket.authorize(authorizerEvent({ authorization: `Bearer ${credential}` }), context);
    expect(await run('guestAgentConnect', Socket.connect, connectionEvent('$connect', 'conn-1', identity))).toEqual({ statusCode: 200 });
    expect((await getAgent(tenant, 'vm-conn'))?.connectionId).toBe('conn-1');
    const before = (await getAgent(tenant, 'vm-conn'))!.lastHeartbeatMs!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await run('guestAgentHealth', Socket.health, connectionEvent('health', 'conn-1', identity))).toEqual({ statusCode: 200 });
    expect((await getAgent(tenant, 'vm-conn'))!.lastHeartbeatMs).toBeGreaterThan(before);

    // A renewal: the new connection replaces the old one, which is closed; the old one's $disconnect changes nothing.
    expect(await run('guestAgentConnect', Socket.connect, connectionEvent('$connect', 'conn-2', identity))).toEqual({ statusCode: 200 });
    expect(posted.at(-1)!.path).toBe('DELETE /@connections/conn-1');
    expect(await run('guestAgentDisconnect', Socket.disconnect, connectionEvent('$disconnect', 'conn-1', identity))).toEqual({ statusCode: 200 });
    expect((await getAgent(tenant, 'vm-conn'))?.connectionId).toBe('conn-2');
    // A health message on a connection that is no longer the VM's is refused.
    expect(await run('guestAgentHealth', Socket.health, connectionEvent('health', 'conn-1', identity))).toEqual({ statusCode: 401 });
    expect(await run('guestAgentDisconnect', Socket.disconnect, connectionEvent('$disconnect', 'conn-2', identity))).toEqual({ statusCode: 200 });
    const closed = (await getAgent(tenant, 'vm-conn'))!;
    expect(closed.connectionId).toBeUndefined();
    expect(closed.disconnectedAtMs).toBeGreaterThanOrEqual(closed.lastHeartbeatMs!);
  });

  it('refuses $connect (401) once the credential was issued anew, and closes the old credential\'s connection', async () => {
    const credential = await enrol('vm-reissued');
    const { context: identity } = await Socket.authorize(authorizerEvent({ authorization: `Bearer ${credential}` }), context);
    await Socket.connect(connectionEvent('$connect', 'conn-old', identity), context);
    await operator('POST', '/vms/vm-reissued/agent-credentials');
    expect(posted.at(-1)!.path).toBe('DELETE /@connections/conn-old');
    expect(await run('guestAgentConnect', Socket.connect, connectionEvent('$connect', 'conn-late', identity))).toEqual({ statusCode: 401 });
    expect((await getAgent(tenant, 'vm-reissued'))?.connectionId).toBeUndefined();
  });

  it('refuses events without an authorizer context (401)', async () => {
    expect(await Socket.connect({ requestContext: { connectionId: 'x' } }, context)).toEqual({ statusCode: 401 });
    expect(await Socket.health({}, context)).toEqual({ statusCode: 401 });
  });
});

describe('the push adapter', () => {
  let admin: Record<string, string>;
  beforeAll(async () => {
    await operator('PUT', `/users/admin@${tenant}`, { password: 'socket-admin-pass', privileges: ['VirtualMachine.GuestOperations.Execute'] });
    admin = session(await loginVcenter(`admin@${tenant}`, 'socket-admin-pass'));
  });

  it('answers 503 when the connection is gone and no new one comes within the reconnect grace, withdrawing the item and forgetting the connection', async () => {
    // A known agent re-opening its connection is waited for (GUEST_AGENT_RECONNECT_GRACE_SECONDS); this one never comes back.
    process.env.GUEST_AGENT_RECONNECT_GRACE_SECONDS = '1';
    cleanups.push(() => delete process.env.GUEST_AGENT_RECONNECT_GRACE_SECONDS);
    const credential = await enrol('vm-gone');
    const { context: identity } = await Socket.authorize(authorizerEvent({ authorization: `Bearer ${credential}` }), context);
    await Socket.connect(connectionEvent('$connect', 'conn-gone', identity), context);
    goneConnections.add('conn-gone');
    const response = await api('POST', '/api/vcenter/vm/vm-gone/guest/processes?action=create', {
      headers: admin,
      body: { credentials: GOOD, spec: { path: '/bin/true' } },
    });
    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      error_type: 'SERVICE_UNAVAILABLE',
      messages: [{ args: [], default_message: 'VMware Tools in vm-gone is not connected.', id: 'com.vmware.vapi.std.errors.service_unavailable' }],
    });
    // The notice named the work and nothing else; the item is withdrawn, so it can never run later.
    const notice = posted.filter((post) => post.path === 'POST /@connections/conn-gone');
    expect(notice).toHaveLength(1);
    expect(JSON.parse(notice[0]!.body)).toEqual({ type: 'work', workId: expect.stringMatching(/^[0-9a-z]{9}-[0-9a-f]{16}-[A-Za-z0-9_-]{43}$/) });
    expect(await listWorkIds(tenant, 'vm-gone')).toEqual([]);
    expect((await getAgent(tenant, 'vm-gone'))?.connectionId).toBeUndefined();
    const again = await api('POST', '/api/vcenter/vm/vm-gone/guest/processes?action=create', { headers: admin, body: { credentials: GOOD, spec: { path: '/bin/true' } } });
    expect(again.body.messages[0].default_message).toBe('VMware Tools is not running in vm-gone.');
  });

  it('answers 503 at once when the notice cannot be sent, withdrawing the item but keeping the connection', async () => {
    const credential = await enrol('vm-throttled');
    const { context: identity } = await Socket.authorize(authorizerEvent({ authorization: `Bearer ${credential}` }), context);
    await Socket.connect(connectionEvent('$connect', 'conn-throttled', identity), context);
    throttledConnections.add('conn-throttled');
    const response = await api('POST', '/api/vcenter/vm/vm-throttled/guest/processes?action=create', {
      headers: admin,
      body: { credentials: GOOD, spec: { path: '/bin/true' } },
    });
    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      error_type: 'SERVICE_UNAVAILABLE',
      messages: [
        {
          args: [],
          default_message: 'VMware Tools in vm-throttled could not be reached; retry later.',
          id: 'com.vmware.vapi.std.errors.service_unavailable',
        },
      ],
    });
    // Nothing is left to run later, and the agent's connection (alive, only its notice refused) stays known.
    expect(await listWorkIds(tenant, 'vm-throttled')).toEqual([]);
    expect((await getAgent(tenant, 'vm-throttled'))?.connectionId).toBe('conn-throttled');
  });
});
