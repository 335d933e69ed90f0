import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordingPolicyOf, timeOrderedUuid } from '../../lib/core/recordings.js';
import { RecordingPolicyOverrideSchema, RecordingPolicySpecSchema, RETENTION_CLASSES } from '../../lib/core/recording-policy.js';
import type { TenantRecord, VmRecord } from '../../lib/records.js';
import { endRecordingRequest, recordingsOfUserRequest, recordingsOfVmRequest } from '../../lib/store/recordings.js';
import { scopeKey } from '../../lib/protocol/secrets.js';
import { TEST_TABLE } from '../support/environment.js';

/** The recording policy's resolution, the recording ids, and the store's exact requests (no server). */
const NOW = 1_780_000_000;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW * 1000 + 999);
});
afterEach(() => vi.useRealTimers());

const tenant = (recordingPolicy?: TenantRecord['recordingPolicy']) => ({ tenantId: 't', displayName: 'T', createdAt: '', ...(recordingPolicy ? { recordingPolicy } : {}) }) as TenantRecord;
const vm = (recordingPolicy?: VmRecord['recordingPolicy']) => ({ tenantId: 't', moId: 'vm-1', ...(recordingPolicy ? { recordingPolicy } : {}) }) as VmRecord;

describe('recordingPolicyOf', () => {
  it.each([
    ['no policy anywhere', undefined, undefined, undefined],
    ['the tenant records: the defaults', { record: true }, undefined, { input: false, mandatory: false, retentionDays: 90 }],
    ['the tenant does not record', { record: false, retentionDays: 30 }, undefined, undefined],
    ['the VM opts out', { record: true, mandatory: true }, { record: false }, undefined],
    ['the VM opts in', undefined, { record: true, retentionDays: 7 }, { input: false, mandatory: false, retentionDays: 7 }],
    ['the VM overrides some fields', { record: true, retentionDays: 30, mandatory: true }, { recordInput: true, retentionDays: 3650 }, { input: true, mandatory: true, retentionDays: 3650 }],
  ] as const)('%s', (_case, ofTenant, ofVm, expected) => {
    expect(recordingPolicyOf(tenant(ofTenant), vm(ofVm))).toEqual(expected);
  });

  it('accepts exactly the retention classes', () => {
    for (let days = 0; days <= 4000; days += 1) {
      expect(RecordingPolicySpecSchema.safeParse({ record: true, retentionDays: days }).success, String(days)).toBe((RETENTION_CLASSES as readonly number[]).includes(days));
    }
    expect(RecordingPolicyOverrideSchema.safeParse({}).success).toBe(true);
    expect(RecordingPolicySpecSchema.safeParse({}).success).toBe(false);
  });
});

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID whose order is the order of time, and unique', () => {
    const ids = [timeOrderedUuid(1_000), timeOrderedUuid(1_001), timeOrderedUuid(2 ** 47)];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(timeOrderedUuid(NOW * 1000).slice(0, 13).replace('-', '')).toBe((NOW * 1000).toString(16).padStart(12, '0'));
    expect(new Set(Array.from({ length: 1000 }, () => timeOrderedUuid(5))).size).toBe(1000);
  });
});

describe('the recordings store requests', () => {
  const table = TEST_TABLE;

  it('completes only the live manifest of the reporting session', () => {
    expect(endRecordingRequest('t', 'vm-1', 'r-1', 's-1', { state: 'recorded', endedAt: 'E', chunks: 2, bytes: 9 })).toEqual({
      TableName: table,
      Key: { pk: 'RECORDING#t#vm-1', sk: 'r-1' },
      UpdateExpression: 'SET #state = :state, #endedAt = :endedAt, #chunks = :chunks, #bytes = :bytes REMOVE #reason',
      ConditionExpression: 'attribute_exists(pk) AND #expiresAt > :now AND #sessionId = :sessionId',
      ExpressionAttributeNames: { '#state': 'state', '#endedAt': 'endedAt', '#chunks': 'chunks', '#bytes': 'bytes', '#reason': 'reason', '#expiresAt': 'expiresAt', '#sessionId': 'sessionId' },
      ExpressionAttributeValues: { ':state': 'recorded', ':endedAt': 'E', ':chunks': 2, ':bytes': 9, ':now': NOW, ':sessionId': 's-1' },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('lists a VM\'s and a user\'s recordings newest first, a page after the cursor', () => {
    expect(recordingsOfVmRequest('t', 'vm-1', 'r-9')).toEqual({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk < :after',
      FilterExpression: '#expiresAt > :now',
      ScanIndexForward: false,
      ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':pk': 'RECORDING#t#vm-1', ':after': 'r-9', ':now': NOW },
    });
    expect(recordingsOfUserRequest('t', 'u@t')).toEqual({
      TableName: table,
      IndexName: 'gsi1',
      KeyConditionExpression: '#gsi1pk = :gsi1pk',
      FilterExpression: '#expiresAt > :now',
      ScanIndexForward: false,
      ExpressionAttributeNames: { '#gsi1pk': 'gsi1pk', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':gsi1pk': `RECORDING#t#USER#${scopeKey('u@t')}`, ':now': NOW },
    });
  });
});
