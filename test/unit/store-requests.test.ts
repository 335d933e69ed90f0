import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TicketRecord } from '../../lib/records.js';
import { queryUnderRequest } from '../../lib/store/client.js';
import { all, equals, exists, live, placeholders } from '../../lib/store/expressions.js';
import { updateAgentRequest, finishProcessRequest } from '../../lib/store/guest.js';
import { deleteRequest, putRequest } from '../../lib/store/items.js';
import { keys } from '../../lib/store/keys.js';
import { clearLoginFailuresRequest, countLoginFailureRequest, lockLoginRequest } from '../../lib/store/logins.js';
import { touchSessionRequest } from '../../lib/store/sessions.js';
import { redemptionRequest, ticketPutRequest } from '../../lib/store/tickets.js';
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

describe('ticket requests', () => {
  it('redeems with one DeleteItem conditional on the ticket existing, unexpired, granting what the redeemer serves', () => {
    expect(redemptionRequest('acme', 'a'.repeat(64), 'VirtualMachine.Interact.ConsoleInteract')).toEqual({
      TableName: TEST_TABLE,
      Key: { pk: 'TENANT#acme', sk: `TICKET#${'a'.repeat(64)}` },
      ReturnValues: 'ALL_OLD',
      ConditionExpression: 'attribute_exists(pk) AND #expiresAt > :now AND #grants = :grants',
      ExpressionAttributeNames: { '#expiresAt': 'expiresAt', '#grants': 'grants' },
      ExpressionAttributeValues: { ':now': NOW, ':grants': 'VirtualMachine.Interact.ConsoleInteract' },
    });
  });

  it('puts a ticket under its hash, never over another item', () => {
    expect(ticketPutRequest(ticket)).toEqual({
      TableName: TEST_TABLE,
      Item: { pk: 'TENANT#acme', sk: `TICKET#${'a'.repeat(64)}`, ...ticket },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });
});

describe('login failure requests', () => {
  it('counts a failure inside a live window, or starts a window where there is none', () => {
    expect(countLoginFailureRequest('acme', 'admin@acme', NOW + 900)).toEqual({
      TableName: TEST_TABLE,
      Key: { pk: 'TENANT#acme', sk: 'LOGINFAILURES#admin@acme' },
      UpdateExpression:
        'SET #failures = if_not_exists(#failures, :zero) + :one, #expiresAt = if_not_exists(#expiresAt, :windowEnd), ' +
        '#tenantId = :tenantId, #userName = :userName',
      ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt > :now',
      ExpressionAttributeNames: {
        '#failures': 'failures',
        '#expiresAt': 'expiresAt',
        '#tenantId': 'tenantId',
        '#userName': 'userName',
      },
      ExpressionAttributeValues: {
        ':zero': 0,
        ':one': 1,
        ':windowEnd': NOW + 900,
        ':tenantId': 'acme',
        ':userName': 'admin@acme',
        ':now': NOW,
      },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('clears only the failures a successful login saw: same window, same count, no lock', () => {
    expect(clearLoginFailuresRequest('acme', 'admin@acme', { failures: 3, expiresAt: NOW + 60 })).toEqual({
      TableName: TEST_TABLE,
      Key: { pk: 'TENANT#acme', sk: 'LOGINFAILURES#admin@acme' },
      ConditionExpression: '#expiresAt = :seenExpiresAt AND #failures = :seenFailures AND attribute_not_exists(#lockedUntil)',
      ExpressionAttributeNames: { '#expiresAt': 'expiresAt', '#failures': 'failures', '#lockedUntil': 'lockedUntil' },
      ExpressionAttributeValues: { ':seenExpiresAt': NOW + 60, ':seenFailures': 3 },
    });
  });

  it('locks by putting the record back with the lock as its expiry', () => {
    const seen = { tenantId: 'acme', userName: 'admin@acme', failures: 5, expiresAt: NOW + 60 };
    expect(lockLoginRequest(seen, NOW + 300)).toEqual({
      TableName: TEST_TABLE,
      Item: { pk: 'TENANT#acme', sk: 'LOGINFAILURES#admin@acme', ...seen, lockedUntil: NOW + 300, expiresAt: NOW + 300 },
    });
  });
});

describe('session, agent and process requests', () => {
  it('touches a session only while it is live', () => {
    expect(touchSessionRequest('acme', 'f00d', NOW + 1800, '2026-01-01T00:00:00.000Z')).toMatchObject({
      Key: { pk: 'TENANT#acme', sk: 'SESSION#f00d' },
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
    const request = updateAgentRequest('acme', 'vm-42', 'hash', { lastHeartbeatMs: 7, agentVersion: undefined }, unlessHeartbeatSince);
    expect(request).toMatchObject({ UpdateExpression: 'SET #lastHeartbeatMs = :lastHeartbeatMs', ConditionExpression: condition });
    expect(request.ExpressionAttributeValues).toEqual({ ':lastHeartbeatMs': 7, ':credentialHash': 'hash', ...extraValues });
  });

  it.each([
    ['with an exit code', 3, ', #exitCode = :exitCode', { ':exitCode': 3 }],
    ['without one (started by an earlier agent)', undefined, '', {}],
  ])('finishes a running process %s', (_, exitCode, exitPart, exitValue) => {
    const request = finishProcessRequest('acme', 'vm-42', 7, '2026-01-01T00:00:00.000Z', exitCode, NOW + 300);
    expect(request).toMatchObject({
      Key: { pk: 'TENANT#acme', sk: 'PROCESS#vm-42#7' },
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
