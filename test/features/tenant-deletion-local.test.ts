/**
 * Tenant deletion as `npm start` runs it: the DELETE's asynchronous invoke reaches serverless-offline's Lambda
 * port, the drain job queues its own next runs there until the tenant is gone, and serverless-offline's own
 * scheduler runs the sweeper, which finishes a tenant whose drain was never started.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoNow } from '../../lib/core/clock.js';
import { markTenantDeleting } from '../../lib/store/index.js';
import { client, resetClient } from '../../lib/store/client.js';
import { keys } from '../../lib/store/keys.js';
import { basic } from '../support/api.js';
import { boundedAll } from '../support/bounded.js';
import { labVmSpec } from '../support/lab.js';
import { startStack, type Stack } from '../support/local-stack.js';
import { eventually } from '../support/wait.js';

const OPERATOR = { authorization: 'Bearer demo-operator-key', 'content-type': 'application/json' };
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    env: {
      TENANT_DELETION_SETTLE_SECONDS: '1',
      // A margin as long as the timeout: every run does one batch (100 items) and queues the next.
      TENANT_DRAIN_TIMEOUT_SECONDS: '20',
      TENANT_DRAIN_MARGIN_SECONDS: '20',
      TENANT_SWEEP_SCHEDULE: 'rate(1 minute)',
    },
  });
  // This file's own reads go to the stack's DynamoDB.
  Object.assign(process.env, { DYNAMODB_ENDPOINT: `http://127.0.0.1:${stack.ports[3]}`, TABLE_NAME: 'console-broker-local' });
  resetClient();
}, 300_000);

afterAll(async () => {
  if (!stack) return;
  stack.child.kill('SIGTERM');
  await stack.exited;
}, 60_000);

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = OPERATOR) =>
  fetch(`${stack.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });

async function tenantWith(tenantId: string, vms: number): Promise<void> {
  expect((await call('PUT', `/operator/v1/tenants/${tenantId}`, { displayName: 'Local' })).status).toBe(200);
  const userName = `ops@${tenantId}`;
  expect((await call('PUT', `/operator/v1/tenants/${tenantId}/users/${userName}`, { password: 'a-long-password', privileges: [] })).status).toBe(200);
  expect((await call('POST', '/api/session', undefined, basic(userName, 'a-long-password'))).status).toBe(201);
  const statuses = await boundedAll(vms, 8, async (index) => (await call('PUT', `/operator/v1/tenants/${tenantId}/vms/vm-${index}`, labVmSpec(`vm-${index}`))).status);
  expect(new Set(statuses)).toEqual(new Set([200]));
}

async function tenantPartitionCount(tenantId: string): Promise<number> {
  const { Count } = await client().send(
    new QueryCommand({
      TableName: 'console-broker-local',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.tenantPartition(tenantId) },
      Select: 'COUNT',
    }),
  );
  return Count ?? 0;
}

const drainRuns = (tenantId: string, state: string) =>
  stack.output().split('\n').filter((line) => line.includes('"tenant drain run"') && line.includes(`"tenantId":"${tenantId}"`) && line.includes(`"state":"${state}"`)).length;

describe('tenant deletion under npm start', () => {
  it('DELETE starts the drain on the Lambda port; it runs batch after batch, each run queuing the next, until the tenant is gone', async () => {
    const tenantId = 'local-drain';
    await tenantWith(tenantId, 250);
    expect(await tenantPartitionCount(tenantId)).toBe(252); // profile, user, 250 VMs (the session is in the user's partition)

    const deleted = await call('DELETE', `/operator/v1/tenants/${tenantId}`);
    expect(deleted.status).toBe(202);
    const body = (await deleted.json()) as Record<string, string>;
    expect(body).toEqual({ tenantId, displayName: 'Local', createdAt: expect.any(String), deletingSince: expect.any(String) });
    const shown = await call('GET', `/operator/v1/tenants/${tenantId}`);
    expect([shown.status, await shown.json()]).toEqual([200, body]);
    expect((await call('PUT', `/operator/v1/tenants/${tenantId}`, { displayName: 'Again' })).status).toBe(400);

    await eventually(async () => (await call('GET', `/operator/v1/tenants/${tenantId}`)).status === 404, 'the tenant drained', { timeoutMs: 240_000 });
    expect(await tenantPartitionCount(tenantId)).toBe(0);
    expect(drainRuns(tenantId, 'continuing')).toBeGreaterThanOrEqual(2);
    expect(drainRuns(tenantId, 'drained')).toBe(1);
  }, 400_000);

  it("the sweeper, on serverless-offline's schedule, drains a tenant whose drain was never started", async () => {
    const tenantId = 'local-stranded';
    await tenantWith(tenantId, 20);
    // Marked as the DELETE marks it, but with no invoke: a lost invocation.
    expect(await markTenantDeleting(tenantId, isoNow())).toMatchObject({ tenantId, deletingSince: expect.any(String) });
    expect((await call('GET', `/operator/v1/tenants/${tenantId}`)).status).toBe(200);

    await eventually(async () => (await call('GET', `/operator/v1/tenants/${tenantId}`)).status === 404, 'the sweeper drained it', { timeoutMs: 240_000 });
    expect(await tenantPartitionCount(tenantId)).toBe(0);
    expect(stack.output()).toMatch(new RegExp(`"tenant drains started by the sweeper".*"${tenantId}"`));
  }, 400_000);
});
