import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TicketRecord } from '../../lib/records.js';
import { all, equals, exists, live, placeholders } from '../../lib/store/expressions.js';
import {
  clearConnectionRequest,
  connectionHealthRequest,
  finishProcessRequest,
  recordConnectionRequest,
  updateAgentRequest,
} from '../../lib/store/guest.js';
import { claimDrainRequest, deletingTenantsRequest, markDeletingRequest } from '../../lib/store/tenant-drain.js';
import { deleteRequest, partitionQueryRequest, putRequest, queryUnderRequest } from '../../lib/store/requests.js';
import { keys } from '../../lib/store/keys.js';
import { clearFailuresRequest, countFailureRequest, lockFailuresRequest, loginFailuresOf, reserveAttemptRequest } from '../../lib/store/logins.js';
import { guestFailuresOf } from '../../lib/store/guest.js';
import { scopeKey } from '../../lib/protocol/secrets.js';
import { touchSessionRequest } from '../../lib/store/sessions.js';
import { redemptionRequest, ticketPutRequests } from '../../lib/store/tickets.js';
import { TEST_TABLE } from '../support/environment.js';

/** The exact requests the store sends, built without a server; `:now` is the clock's epoch seconds. */
const NOW = 1_780_000_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW * 1000 + 999);
});
afterEach(() => {
  vi.useRealTimers();
});

const ticket: TicketRecord = {
  tenantId: 'acme',
  ticketHash: 'a'.repeat(64),
  vmMoId: 'vm-42',
  instanceUuid: '4c4c4544-0042-3510-8052-b4c04f4a4e31',
  consoleType: 'WEBMKS',
  issuedTo: 'admin@acme',
  grants: 'VirtualMachine.Interact.ConsoleInteract',
  vnc: { host: '10.0.0.5', port: 5901 },
  issuedAt: '2026-01-01T00:00:00.000Z',
  expiresAt: NOW + 1800,
};

const vmKey = scopeKey('vm-42');
const userKey = scopeKey('admin@acme');

describe('ticket requests', () => {
  it('redeems with one DeleteItem conditional on the ticket existing, unexpired, granting what the redeemer serves', () => {
    const ref = { tenantId: 'acme', vmKey, ticketHash: 'a'.repeat(64) };
    expect(redemptionRequest(ref, 'VirtualMachine.Interact.ConsoleInteract')).toEqual({
      TableName: TEST_TABLE,
      Key: { pk: `TICKET#acme#${vmKey}`, sk: 'a'.repeat(64) },
      ReturnValues: 'ALL_OLD',
      ConditionExpression: 'attribute_exists(pk) AND #expiresAt > :now AND #grants = :grants',
      ExpressionAttributeNames: { '#expiresAt': 'expiresAt', '#grants': 'grants' },
      ExpressionAttributeValues: { ':now': NOW, ':grants': 'VirtualMachine.Interact.ConsoleInteract' },
    });
  });

  it('writes the ticket under its VM and a pointer to it beside its user’s sessions, in one BatchWriteItem', () => {
    expect(ticketPutRequests(ticket)).toEqual([
      { TableName: TEST_TABLE, Item: { pk: `TICKET#acme#${vmKey}`, sk: 'a'.repeat(64), ...ticket } },
      {
        TableName: TEST_TABLE,
        Item: {
          pk: `SESSION#acme#${userKey}`,
          sk: `TICKET#${vmKey}#${'a'.repeat(64)}`,
          tenantId: 'acme',
          vmMoId: 'vm-42',
          expiresAt: ticket.expiresAt,
        },
      },
    ]);
  });
});

describe('login failure requests', () => {
  it('counts a failure inside a live window, or starts a window where there is none', () => {
    expect(countFailureRequest(loginFailuresOf('acme', 'admin@acme'), NOW + 900)).toEqual({
      TableName: TEST_TABLE,
      Key: { pk: 'LOGIN#acme#admin@acme', sk: 'FAILURES' },
      UpdateExpression: 'SET #failures = if_not_exists(#failures, :zero) + :one, #expiresAt = if_not_exists(#expiresAt, :windowEnd)',
      ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt > :now',
      ExpressionAttributeNames: { '#failures': 'failures', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':windowEnd': NOW + 900, ':now': NOW },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('counts a guest user’s failures with the same request, in the VM’s guest partition', () => {
    expect(countFailureRequest(guestFailuresOf('acme', 'vm-42', 'ab12'), NOW + 900).Key).toEqual({
      pk: 'GUEST#acme#vm-42',
      sk: 'FAILURES#ab12',
    });
  });

  it('clears only what a successful login saw: same window, same count, same reservations, no lock', () => {
    expect(clearFailuresRequest(loginFailuresOf('acme', 'admin@acme'), { failures: 3, attempts: 4, expiresAt: NOW + 60 })).toEqual({
      TableName: TEST_TABLE,
      Key: { pk: 'LOGIN#acme#admin@acme', sk: 'FAILURES' },
      ConditionExpression:
        '#expiresAt = :seenExpiresAt AND #failures = :seenFailures AND #attempts = :seenAttempts AND attribute_not_exists(#lockedUntil)',
      ExpressionAttributeNames: { '#expiresAt': 'expiresAt', '#failures': 'failures', '#attempts': 'attempts', '#lockedUntil': 'lockedUntil' },
      ExpressionAttributeValues: { ':seenExpiresAt': NOW + 60, ':seenFailures': 3, ':seenAttempts': 4 },
    });
  });

  it('reserves a password check only while the window is unlocked and has a check to spare', () => {
    expect(reserveAttemptRequest(loginFailuresOf('acme', 'admin@acme'), NOW + 180, 5)).toEqual({
      TableName: TEST_TABLE,
      Key: { pk: 'LOGIN#acme#admin@acme', sk: 'FAILURES' },
      UpdateExpression:
        'SET #attempts = if_not_exists(#attempts, :zero) + :one, #failures = if_not_exists(#failures, :zero), #expiresAt = if_not_exists(#expiresAt, :windowEnd)',
      ConditionExpression:
        'attribute_not_exists(pk) OR (#expiresAt > :now AND attribute_not_exists(#lockedUntil) AND (attribute_not_exists(#attempts) OR #attempts < :maxAttempts))',
      ExpressionAttributeNames: { '#attempts': 'attempts', '#failures': 'failures', '#expiresAt': 'expiresAt', '#lockedUntil': 'lockedUntil' },
      ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':windowEnd': NOW + 180, ':maxAttempts': 5, ':now': NOW },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('locks by putting the record back with the lock as its expiry', () => {
    const seen = { failures: 5, expiresAt: NOW + 60 };
    expect(lockFailuresRequest(loginFailuresOf('acme', 'admin@acme'), seen, NOW + 300)).toEqual({
      TableName: TEST_TABLE,
      Item: { pk: 'LOGIN#acme#admin@acme', sk: 'FAILURES', ...seen, lockedUntil: NOW + 300, expiresAt: NOW + 300 },
    });
  });
});

describe('session, agent and process requests', () => {
  it('touches a session only while it is live', () => {
    const session = {
      tenantId: 'acme',
      sessionHash: 'f00d',
      userName: 'admin@acme',
      privileges: [],
      createdAt: 't',
      lastAccessedAt: 't',
      expiresAt: NOW + 60,
    };
    expect(touchSessionRequest(session, NOW + 1800, '2026-01-01T00:00:00.000Z')).toMatchObject({
      Key: { pk: `SESSION#acme#${userKey}`, sk: 'SESSION#f00d' },
      UpdateExpression: 'SET #expiresAt = :expiresAt, #lastAccessedAt = :lastAccessedAt',
      ConditionExpression: 'attribute_exists(pk) AND #expiresAt > :now',
      ExpressionAttributeValues: { ':expiresAt': NOW + 1800, ':lastAccessedAt': '2026-01-01T00:00:00.000Z', ':now': NOW },
    });
  });

  it.each([
    ['under the proven credential', undefined, '#credentialHash = :credentialHash', {}],
    [
      'unless another instance is live (polling, or connected)',
      { heartbeat: NOW * 1000 - 30_000, health: NOW * 1000 - 660_000 },
      '#credentialHash = :credentialHash AND (attribute_not_exists(#publicKey) OR attribute_not_exists(#lastHeartbeatMs) OR ' +
        '(attribute_not_exists(#connectionId) AND #lastHeartbeatMs < :liveSince) OR #lastHeartbeatMs < :healthySince)',
      { ':liveSince': NOW * 1000 - 30_000, ':healthySince': NOW * 1000 - 660_000 },
    ],
  ])('updates an agent %s', (_, unlessHeartbeatSince, condition, extraValues) => {
    const request = updateAgentRequest({
      agent: { tenantId: 'acme', moId: 'vm-42', credentialHash: 'hash' },
      changes: { lastHeartbeatMs: 7, agentVersion: undefined },
      unlessLiveSince: unlessHeartbeatSince,
    });
    expect(request).toMatchObject({ UpdateExpression: 'SET #lastHeartbeatMs = :lastHeartbeatMs', ConditionExpression: condition });
    expect(request.ExpressionAttributeValues).toEqual({ ':lastHeartbeatMs': 7, ':credentialHash': 'hash', ...extraValues });
  });

  it.each([
    ['with an exit code', 3, ', #exitCode = :exitCode', { ':exitCode': 3 }],
    ['without one (started by an earlier agent)', undefined, '', {}],
  ])('finishes a running process %s', (_, exitCode, exitPart, exitValue) => {
    const request = finishProcessRequest({ tenantId: 'acme', moId: 'vm-42', pid: 7, finished: '2026-01-01T00:00:00.000Z', exitCode, expiresAt: NOW + 300 });
    expect(request).toMatchObject({
      Key: { pk: 'GUEST#acme#vm-42', sk: 'PROCESS#7' },
      UpdateExpression: `SET #finished = :finished, #expiresAt = :expiresAt${exitPart}`,
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now) AND attribute_not_exists(#finished)',
    });
    expect(request.ExpressionAttributeValues).toEqual({
      ':finished': '2026-01-01T00:00:00.000Z',
      ':expiresAt': NOW + 300,
      ':now': NOW,
      ...exitValue,
    });
  });

  it('queries a whole partition with no filter (what an exact revocation deletes)', () => {
    expect(partitionQueryRequest(`SESSION#acme#${userKey}`, undefined, { projection: 'pk, sk' })).toEqual({
      TableName: TEST_TABLE,
      KeyConditionExpression: 'pk = :pk',
      ProjectionExpression: 'pk, sk',
      ExpressionAttributeValues: { ':pk': `SESSION#acme#${userKey}` },
    });
  });

  it('queries a tenant’s items under a prefix, filtered by attribute values', () => {
    expect(
      queryUnderRequest('acme', 'TICKET#', { filter: all(equals('vmMoId')), values: { vmMoId: 'vm-42' }, projection: 'pk, sk' }),
    ).toEqual({
      TableName: TEST_TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#vmMoId = :vmMoId',
      ProjectionExpression: 'pk, sk',
      ExpressionAttributeNames: { '#vmMoId': 'vmMoId' },
      ExpressionAttributeValues: { ':pk': 'TENANT#acme', ':prefix': 'TICKET#', ':vmMoId': 'vm-42' },
    });
  });

  it('deletes unconditionally unless asked for a live item', () => {
    expect(deleteRequest(keys.vm('acme', 'vm-42'))).toEqual({
      TableName: TEST_TABLE,
      Key: { pk: 'TENANT#acme', sk: 'VM#vm-42' },
      ReturnValues: 'ALL_OLD',
    });
    expect(putRequest(keys.tenant('acme'), { tenantId: 'acme', displayName: 'Acme', createdAt: 't' })).not.toHaveProperty(
      'ConditionExpression',
    );
  });
});

describe('placeholders', () => {
  it.each([
    ['a used value not given', [all(exists, live, equals('grants'))], {}, /missing grants/],
    ['a given value not used', [all(exists, live)], { grants: 'x' }, /unused grants/],
  ])('refuses %s (DynamoDB would refuse the request)', (_, expressions, values, message) => {
    expect(() => placeholders(expressions, values)).toThrow(message);
  });

  it('gives no maps for an expression without placeholders', () => {
    expect(placeholders([exists])).toEqual({});
  });
});

describe('agent connection requests', () => {
  const agent = { tenantId: 'acme', moId: 'vm-42', credentialHash: 'hash' };
  const key = { pk: 'GUEST#acme#vm-42', sk: 'AGENT' };

  it('records a new connection under the proven credential, returning the one it replaced', () => {
    expect(recordConnectionRequest({ agent, connectionId: 'c-1', nowMs: 7 })).toEqual({
      TableName: TEST_TABLE,
      Key: key,
      UpdateExpression: 'SET #connectionId = :connectionId, #lastHeartbeatMs = :lastHeartbeatMs',
      ConditionExpression: '#credentialHash = :credentialHash',
      ExpressionAttributeNames: { '#connectionId': 'connectionId', '#lastHeartbeatMs': 'lastHeartbeatMs', '#credentialHash': 'credentialHash' },
      ExpressionAttributeValues: { ':connectionId': 'c-1', ':lastHeartbeatMs': 7, ':credentialHash': 'hash' },
      ReturnValues: 'UPDATED_OLD',
    });
  });

  it('records health only while the connection and the credential are still the agent’s', () => {
    expect(connectionHealthRequest({ agent, connectionId: 'c-1', nowMs: 7 })).toEqual({
      TableName: TEST_TABLE,
      Key: key,
      UpdateExpression: 'SET #lastHeartbeatMs = :lastHeartbeatMs',
      ConditionExpression: '#credentialHash = :credentialHash AND #connectionId = :connectionId',
      ExpressionAttributeNames: { '#lastHeartbeatMs': 'lastHeartbeatMs', '#credentialHash': 'credentialHash', '#connectionId': 'connectionId' },
      ExpressionAttributeValues: { ':lastHeartbeatMs': 7, ':credentialHash': 'hash', ':connectionId': 'c-1' },
    });
  });

  it('forgets a closed connection unless a newer one replaced it', () => {
    expect(clearConnectionRequest(agent, 'c-1', 7)).toEqual({
      TableName: TEST_TABLE,
      Key: key,
      UpdateExpression: 'REMOVE #connectionId SET #disconnectedAtMs = :disconnectedAtMs',
      ConditionExpression: '#connectionId = :connectionId',
      ExpressionAttributeNames: { '#connectionId': 'connectionId', '#disconnectedAtMs': 'disconnectedAtMs' },
      ExpressionAttributeValues: { ':disconnectedAtMs': 7, ':connectionId': 'c-1' },
    });
  });
});

describe('tenant deletion requests', () => {
  it('marks a tenant deleting once, keeping the first mark’s time', () => {
    expect(markDeletingRequest('acme', '2026-01-01T00:00:00.000Z')).toEqual({
      TableName: TEST_TABLE,
      Key: { pk: 'TENANT#acme', sk: 'PROFILE' },
      UpdateExpression: 'SET #deletingSince = if_not_exists(#deletingSince, :since)',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#deletingSince': 'deletingSince' },
      ExpressionAttributeValues: { ':since': '2026-01-01T00:00:00.000Z' },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('finds the tenants being deleted in the tenants index', () => {
    expect(deletingTenantsRequest()).toEqual({
      TableName: TEST_TABLE,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      FilterExpression: 'attribute_exists(#deletingSince)',
      ProjectionExpression: '#tenantId',
      ExpressionAttributeNames: { '#deletingSince': 'deletingSince', '#tenantId': 'tenantId' },
      ExpressionAttributeValues: { ':pk': 'TENANTS' },
    });
  });

  it('takes the drain lease when it is free, lapsed or already the chain’s', () => {
    expect(claimDrainRequest('acme', 'chain-1', NOW + 60)).toEqual({
      TableName: TEST_TABLE,
      Key: { pk: 'TENANT#acme', sk: 'DRAIN#LEASE' },
      UpdateExpression: 'SET #chain = :chain, #expiresAt = :until, #tenantId = :tenantId',
      ConditionExpression: 'attribute_not_exists(#chain) OR #chain = :chain OR #expiresAt <= :now',
      ExpressionAttributeNames: { '#chain': 'chain', '#expiresAt': 'expiresAt', '#tenantId': 'tenantId' },
      ExpressionAttributeValues: { ':chain': 'chain-1', ':until': NOW + 60, ':tenantId': 'acme', ':now': NOW },
    });
  });
});
