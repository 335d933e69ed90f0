import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listConsoleSessions } from '../../lib/core/audit.js';
import { api, CONSOLE_PROXY, OPERATOR } from '../support/api.js';
import { createTenant } from '../support/console-fixtures.js';

const report = (tenantId: string, overrides: Record<string, unknown> = {}) => ({
  sessionId: randomUUID(),
  tenantId,
  vmMoId: 'vm-101',
  instanceUuid: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101',
  consoleType: 'webmks',
  principal: `admin@${tenantId}`,
  ticketFingerprint: '0a1b2c3d',
  startedAt: '2026-01-05T10:00:00.000Z',
  endedAt: '2026-01-05T10:30:00.000Z',
  bytesToVm: 1234,
  bytesFromVm: 567890,
  endReason: 'client closed',
  ...overrides,
});

describe('POST /console-proxy/v1/audit-records', () => {
  it('stores the session once, however often the proxy retries', async () => {
    const tenantId = await createTenant('audit');
    const body = report(tenantId, { clientAddress: '203.0.113.7' });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await api('POST', '/console-proxy/v1/audit-records', { headers: CONSOLE_PROXY, body });
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
    }
    expect(await listConsoleSessions(tenantId, '2026-01-05')).toEqual([
      { ...body, recordedAt: expect.any(String), expiresAt: Date.parse(body.endedAt) / 1000 + 400 * 86_400 },
    ]);
  });

  it('is only for the console proxy', async () => {
    const tenantId = await createTenant('audit');
    for (const headers of [OPERATOR, {}]) {
      const response = await api('POST', '/console-proxy/v1/audit-records', { headers, body: report(tenantId) });
      expect(response.status).toBe(401);
    }
    expect(await listConsoleSessions(tenantId, '2026-01-05')).toEqual([]);
  });

  it.each([
    ['a session that ends before it starts', { endedAt: '2026-01-05T09:00:00.000Z' }, 'A console session cannot end before it starts.'],
    ['negative byte counts', { bytesToVm: -1 }, 'Invalid value for bytesToVm: Number must be greater than or equal to 0.'],
    ['a ticket instead of its fingerprint', { ticketFingerprint: `acme.${'x'.repeat(43)}` }, 'Invalid value for ticketFingerprint: eight lowercase hex digits.'],
    // The start time is part of the record's key: 2,000 fraction digits would not fit in a DynamoDB key.
    ['a start time too long for a key', { startedAt: `2026-01-05T10:00:00.${'1'.repeat(2000)}Z` }, 'Invalid value for startedAt: String must contain at most 40 character(s).'],
    ['a byte count DynamoDB cannot store', { bytesFromVm: 1e200 }, 'Invalid value for bytesFromVm: Number must be less than or equal to 9007199254740991.'],
  ])('refuses %s', async (_case, overrides, message) => {
    const tenantId = await createTenant('audit');
    const response = await api('POST', '/console-proxy/v1/audit-records', { headers: CONSOLE_PROXY, body: report(tenantId, overrides) });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error_type: 'INVALID_ARGUMENT',
      messages: [{ args: [], default_message: message, id: 'com.vmware.vapi.std.errors.invalid_argument' }],
    });
    expect(await listConsoleSessions(tenantId, '2026-01-05')).toEqual([]);
  });
});
