/**
 * The local DynamoDB throttling, failing, slow or stopped mid-run: every route answers its dialect's
 * documented "unavailable" error, the SDK's retries stay bounded, nothing is half-written, and everything
 * recovers when the data service comes back. Faults come from the SDK middleware hook in
 * lib/store/client.ts (`faults`) and from a real dynalite that is stopped and restarted on its port.
 */
process.env.TABLE_NAME = `faults-${process.pid}`;

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countRoundTrips, faults, resetClient } from '../support/store-instrumentation.js';
import { ensureTable, startLocalDynamo, type LocalDynamo } from '../../scripts/local-dynamodb.js';
import { api, buildEvent, CONSOLE_PROXY, invoke, loginVcenter, session } from '../support/api.js';
import { answerProblem, DIALECTS, dialectOf, routes, scanDigest, scanItems, useOwnTable, validEvent } from '../support/fuzz.js';
import { eventually } from '../support/wait.js';

const MAX_ATTEMPTS = 3;
const throttled = () => Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
  name: 'ThrottlingException',
  $fault: 'client',
  $metadata: { httpStatusCode: 400 },
});
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', name: 'Error' });

let sessionId = '';

beforeAll(async () => {
  await useOwnTable('faults');
  sessionId = await loginVcenter();
}, 60_000);

afterEach(() => {
  faults.inject = undefined;
  // A fresh client, so one test's failures do not drain the SDK retry quota of the next.
  resetClient();
});

const createTicket = (id = sessionId) =>
  api('POST', '/api/vcenter/vm/vm-101/console/tickets', { headers: session(id), body: { type: 'WEBMKS' } });
const ticketOf = (body: { ticket: string }) => /\/ticket\/(.+)$/.exec(body.ticket)![1]!;
const redeem = (ticket: string) => api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } });

/**
 * Every route with a valid request while the data service fails, all at once: each answers its dialect's
 * unavailable error or, if it needed no table (health, a refused platform key), its usual answer — never
 * another 5xx; and the SDK made at most MAX_ATTEMPTS attempts per operation. Returns the dialects seen.
 */
async function expectEveryRouteUnavailable(): Promise<Set<string>> {
  const events = await Promise.all(routes.map((route) => validEvent(route, sessionId)));
  const { result: responses, live } = await countRoundTrips(() => Promise.all(events.map((event) => invoke(event))));
  const seen = new Set<string>();
  for (const [index, route] of routes.entries()) {
    const { status, body, text } = responses[index]!;
    const dialect = dialectOf(route.path);
    if (DIALECTS[dialect].isUnavailable(status, body)) seen.add(dialect);
    else expect(answerProblem(dialect, status, body), `${route.method} ${route.path}: ${status} ${text}`).toBeUndefined();
  }
  // A parallel read abandoned by a failed sibling may still be retrying: let it settle before counting.
  await eventually(() => live.pending === 0, 'abandoned DynamoDB calls settled');
  expect(live.attempts).toBeGreaterThan(live.operations);
  expect(live.attempts).toBeLessThanOrEqual(MAX_ATTEMPTS * live.operations);
  return seen;
}

describe('DynamoDB failing', () => {
  it('answers every route with its dialect\'s unavailable error when it refuses connections, retries bounded, nothing written', async () => {
    const before = await scanDigest();
    faults.inject = () => {
      throw refused();
    };
    const seen = await expectEveryRouteUnavailable();
    faults.inject = undefined;
    expect([...seen].sort()).toEqual(expect.arrayContaining(['nova', 'platform', 'vcenter-api', 'vcenter-rest', 'vim25']));
    expect(await scanDigest()).toBe(before);
    expect((await createTicket()).status).toBe(201);
  }, 60_000);

  it('gives up on a call throttled on every attempt after exactly the bound, with the unavailable error', async () => {
    faults.inject = () => {
      throw throttled();
    };
    // Redemption's two calls run side by side (the delete, the tenant's deletion mark): each is tried exactly
    // the bound, the one abandoned by its failed sibling too once it settles.
    const { result: response, live } = await countRoundTrips(() => redeem(`acme.${'A'.repeat(16)}.${'A'.repeat(43)}`));
    await eventually(() => live.pending === 0, 'abandoned DynamoDB calls settled');
    expect(live.operations).toBe(2);
    expect(live.attempts).toBe(MAX_ATTEMPTS * live.operations);
    expect(DIALECTS.platform.isUnavailable(response.status, response.body), response.text).toBe(true);
  });

  it('retries a throttled call and succeeds when the throttling passes within the bound', async () => {
    let throttles = 1;
    faults.inject = (operation) => {
      if (operation === 'BatchWriteItemCommand' && throttles-- > 0) throw throttled();
    };
    const { result: response, attempts } = await countRoundTrips(() => createTicket());
    expect(response.status).toBe(201);
    expect(attempts).toBe(4); // BatchGetItem, the VM's open consoles counted, the throttled BatchWriteItem (ticket + pointer), its retry
    expect((await redeem(ticketOf(response.body))).status).toBe(200);
  });
});

describe('DynamoDB failing mid-run', () => {
  it('half-writes nothing: every 201 is a live ticket and every 503 left no item', async () => {
    const ticketsBefore = (await scanItems()).length;
    const answers = [];
    for (let index = 0; index < 45; index += 1) {
      // Writes fail for the middle third of the run; reads keep working.
      faults.inject = index >= 15 && index < 30 ? (operation) => { if (operation === 'BatchWriteItemCommand') throw refused(); } : undefined;
      answers.push(await createTicket());
    }
    faults.inject = undefined;
    expect(answers.map((answer) => answer.status)).toEqual([...Array(15).fill(201), ...Array(15).fill(503), ...Array(15).fill(201)]);
    expect(answers[20]!.body).toEqual({
      error_type: 'SERVICE_UNAVAILABLE',
      messages: [
        {
          args: [],
          default_message: 'The system is unable to communicate with a service to complete the request.',
          id: 'com.vmware.vapi.std.errors.service_unavailable',
        },
      ],
    });
    // Each ticket is two items: the ticket and its pointer beside the user's sessions.
    expect((await scanItems()).length - ticketsBefore).toBe(60);
    const issued = answers.filter((answer) => answer.status === 201).map((answer) => ticketOf(answer.body));
    const redeemed = await Promise.all(issued.map(redeem));
    expect(redeemed.map((answer) => answer.status)).toEqual(Array(30).fill(200));
  }, 60_000);
});

describe('DynamoDB slow', () => {
  it('still answers correctly when every call takes 250 ms longer', async () => {
    faults.inject = () => new Promise((resolve) => setTimeout(resolve, 250));
    const started = Date.now();
    const response = await createTicket();
    expect(Date.now() - started).toBeGreaterThanOrEqual(500); // two round trips
    expect(response.status).toBe(201);
    faults.inject = undefined;
    expect((await redeem(ticketOf(response.body))).status).toBe(200);
  });
});

describe('DynamoDB hanging', () => {
  it("answers the dialect's timed_out before the Lambda timeout, never nothing, when a call never returns", async () => {
    const stuck: (() => void)[] = [];
    faults.inject = () => new Promise<void>((resolve) => stuck.push(resolve));
    const message = 'The request did not complete in time.';
    const cases = [
      ['GET', '/api/session', { headers: session(sessionId) }, 504,
        { error_type: 'TIMED_OUT', messages: [{ args: [], default_message: message, id: 'com.vmware.vapi.std.errors.timed_out' }] }],
      ['POST', '/rest/vcenter/vm/vm-101/console/tickets', { headers: session(sessionId), body: { spec: { type: 'VMRC' } } }, 504,
        { type: 'com.vmware.vapi.std.errors.timed_out', value: { messages: [{ args: [], default_message: message, id: 'com.vmware.vapi.std.errors.timed_out' }] } }],
      ['GET', '/compute/v2.1/servers', { headers: { 'x-auth-token': sessionId } }, 504, { computeFault: { code: 504, message } }],
      ['POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-101/AcquireTicket', { headers: session(sessionId), body: { ticketType: 'webmks' } }, 500,
        { _typeName: 'Timedout', faultstring: message }],
    ] as const;
    try {
      for (const [method, path, options, status, body] of cases) {
        // 2.5 s left: the deadline answers after two thirds of it, well before the invocation would end.
        const response = await invoke(buildEvent(method, path, options)!.event, { remainingMs: 2_500 });
        expect({ path, status: response.status, body: response.body }).toEqual({ path, status, body });
      }
    } finally {
      faults.inject = undefined;
      for (const release of stuck) release();
    }
  });
});

describe('DynamoDB stopped and restarted', () => {
  let server: LocalDynamo | undefined;
  const dataPath = mkdtempSync(join(tmpdir(), 'console-broker-dynalite-'));

  it('answers unavailable in every dialect while it is down, and recovers with its data when it is back', async () => {
    const sharedEndpoint = process.env.DYNAMODB_ENDPOINT!;
    server = await startLocalDynamo({ path: dataPath });
    const { port } = server;
    try {
      process.env.DYNAMODB_ENDPOINT = server.endpoint;
      resetClient();
      await ensureTable(server.endpoint, process.env.TABLE_NAME!);
      const { seedDemoData } = await import('../../scripts/demo-data.js');
      await seedDemoData();
      sessionId = await loginVcenter();
      const before = await createTicket();
      expect(before.status).toBe(201);

      // Stop it mid-run (drop the pooled keep-alive sockets first, or close() waits for them).
      resetClient();
      await server.close();
      const seen = await expectEveryRouteUnavailable();
      expect([...seen].sort()).toEqual(expect.arrayContaining(['nova', 'platform', 'vcenter-api', 'vcenter-rest', 'vim25']));

      // Back on the same port with the same data: the session and the unredeemed ticket survived.
      server = await startLocalDynamo({ port, path: dataPath });
      resetClient();
      const after = await createTicket();
      expect(after.status).toBe(201);
      expect((await redeem(ticketOf(before.body))).status).toBe(200);
      expect((await redeem(ticketOf(after.body))).status).toBe(200);
    } finally {
      resetClient();
      await server?.close();
      process.env.DYNAMODB_ENDPOINT = sharedEndpoint;
      rmSync(dataPath, { recursive: true, force: true });
    }
  }, 90_000);
});
