/**
 * The metrics on-call reads (lib/metrics.ts, docs/operations.md), as `npm start`'s stack emits them: real
 * requests through serverless-offline, the demo agent and its WebSocket, and the EMF lines in the functions'
 * log output, asserted by name, dimensions and value — and no ticket, session id or password in any of them
 * nor anywhere else in the stack's logs.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONSOLE_PROXY_KEY } from '../../scripts/demo-data.js';
import { startStack, type Stack } from '../support/local-stack.js';
import { eventually } from '../support/wait.js';

interface MetricLine {
  names: string[];
  dimensions: Record<string, string>;
  values: Record<string, number>;
  text: string;
}

/** Every EMF document in the output: its metric names, its dimension values and each metric's value. */
function metricLines(output: string): MetricLine[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"CloudWatchMetrics"'))
    .map((line) => {
      const text = line.slice(line.indexOf('{'));
      const document = JSON.parse(text) as Record<string, any>;
      const directive = document._aws.CloudWatchMetrics[0];
      const names = directive.Metrics.map((metric: { Name: string }) => metric.Name);
      const dimensions = Object.fromEntries(directive.Dimensions[0].map((name: string) => [name, document[name]]));
      return { names, dimensions, values: Object.fromEntries(names.map((name: string) => [name, document[name]])), text };
    });
}

describe('metrics (EMF in the log line)', () => {
  let stack: Stack;
  const wrongPassword = `wrong-${randomBytes(9).toString('hex')}`;
  const secrets: string[] = [];
  let beforeRequests = 0;

  const lines = () => metricLines(stack.output().slice(beforeRequests));
  /** The lines of `name` whose dimensions include `dimensions`. */
  const linesOf = (name: string, dimensions: Record<string, string> = {}) =>
    lines().filter((line) => line.names.includes(name) && Object.entries(dimensions).every(([key, value]) => line.dimensions[key] === value));
  const login = (user: string, password: string) =>
    fetch(`${stack.url}/api/session`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
  const post = (path: string, headers: Record<string, string>, body: unknown) =>
    fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    stack = await startStack({ env: { LOGIN_MAX_FAILURES: '2' } });
  }, 300_000);

  afterAll(() => stack?.kill());

  it('counts the demo agent connecting over its WebSocket', async () => {
    await eventually(() => metricLines(stack.output()).some((line) => line.names.includes('AgentConnects')), 'AgentConnects', { timeoutMs: 120_000 });
    const [connect] = metricLines(stack.output()).filter((line) => line.names.includes('AgentConnects'));
    expect(connect!.values).toEqual({ AgentConnects: 1 });
    expect(connect!.dimensions).toEqual({ service: 'console-broker-local' });
  }, 180_000);

  it('counts logins failed and locked, tickets issued, refused and redeemed, and guest operations with their latency', async () => {
    beforeRequests = stack.output().length;

    // Two wrong passwords lock viewer@acme (LOGIN_MAX_FAILURES=2); a third attempt is refused while locked.
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await login('viewer@acme', wrongPassword)).status).toBe(401);
    const sessionId = (await (await login('admin@acme', 'acme-admin-pass')).json()) as string;
    secrets.push(sessionId);
    const session = { 'vmware-api-session-id': sessionId };

    const issued = await post('/api/vcenter/vm/vm-101/console/tickets', session, { type: 'WEBMKS' });
    expect(issued.status).toBe(201);
    const ticket = /\/ticket\/(.+)$/.exec(((await issued.json()) as { ticket: string }).ticket)![1]!;
    secrets.push(ticket);
    // vm-102 is powered off: no WEBMKS ticket.
    expect((await post('/api/vcenter/vm/vm-102/console/tickets', session, { type: 'WEBMKS' })).status).toBe(400);

    const proxy = { authorization: `Bearer ${DEMO_CONSOLE_PROXY_KEY}` };
    expect((await post('/console-proxy/v1/redemptions', proxy, { ticket })).status).toBe(200);
    expect((await post('/console-proxy/v1/redemptions', proxy, { ticket })).status).toBe(404);

    const credentials = { type: 'USERNAME_PASSWORD', user_name: 'demo', password: 'demo-guest-pass', interactive_session: false };
    const started = await post('/api/vcenter/vm/vm-101/guest/processes?action=create', session, { credentials, spec: { path: '/bin/true' } });
    expect(started.status, await started.clone().text()).toBe(200);

    await eventually(() => linesOf('GuestOperations').length > 0, 'GuestOperations', { timeoutMs: 60_000 });
    const service = 'console-broker-local';
    expect(linesOf('LoginsFailed').map((line) => line.dimensions)).toEqual(Array(3).fill({ service, dialect: 'vcenter-api' }));
    expect(linesOf('LoginsFailed').map((line) => line.values.LoginsFailed)).toEqual([1, 1, 1]);
    expect(linesOf('LoginsLocked', { dialect: 'vcenter-api' }).map((line) => line.values.LoginsLocked)).toEqual([1]);
    expect(linesOf('TicketsIssued').map((line) => [line.dimensions, line.values.TicketsIssued])).toEqual([[{ service, dialect: 'vcenter-api' }, 1]]);
    expect(linesOf('TicketsRefused').map((line) => [line.dimensions.reason, line.values.TicketsRefused])).toEqual([
      ['not_allowed_in_current_state', 1],
      ['invalid', 1],
    ]);
    expect(linesOf('TicketsRedeemed').map((line) => line.values.TicketsRedeemed)).toEqual([1]);
    expect(linesOf('ProxyRedemptions').map((line) => [line.dimensions.outcome, line.values.ProxyRedemptions])).toEqual([
      ['redeemed', 1],
      ['refused', 1],
    ]);
    expect(linesOf('GuestOperations').map((line) => [line.dimensions, line.values.GuestOperations])).toEqual([[{ service, outcome: 'ok' }, 1]]);
    const [latency] = linesOf('GuestOperationLatency', { outcome: 'ok' });
    expect(latency!.values.GuestOperationLatency).toBeGreaterThan(0);
    expect(latency!.text).toContain('"Unit":"Milliseconds"');
  }, 180_000);

  it('names no tenant, user or VM in a metric, and no ticket, session id or password in any log line', () => {
    const all = metricLines(stack.output());
    expect(all.length).toBeGreaterThan(10);
    for (const { names, dimensions, text } of all) {
      expect(names.join(',')).not.toMatch(/acme|globex|vm-\d|admin|viewer/);
      expect(Object.values(dimensions).join(',')).not.toMatch(/acme\b|globex|vm-\d|admin|viewer/);
      for (const secret of [...secrets, wrongPassword, 'acme-admin-pass', 'demo-guest-pass']) expect(text).not.toContain(secret);
    }
    // The start script's banner names the demo guest account on purpose; no other line may.
    const logs = stack.output().split('\n').filter((line) => !line.startsWith('guest agent running for'));
    for (const secret of [...secrets.map((secret) => secret.slice(-43)), wrongPassword, 'acme-admin-pass', 'demo-guest-pass']) {
      expect(logs.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});
