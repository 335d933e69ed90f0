import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import * as Tickets from '../../lib/core/tickets.js';
import { CONSOLE_PRIVILEGE } from '../../lib/core/privileges.js';
import { getVm } from '../../lib/core/inventory.js';
import { api, CONSOLE_PROXY, OPERATOR } from '../support/api.js';
import type { SessionRecord } from '../../lib/records.js';
import { ConsoleTargetSchema } from '../../lib/protocol/console-proxy.js';

const admin = { userName: 'admin@acme', privileges: [CONSOLE_PRIVILEGE] } as unknown as SessionRecord;

describe('POST /console-proxy/v1/redemptions', () => {
  it('returns the connection target exactly once', async () => {
    const { ticket } = await Tickets.issueTicket(admin, await getVm('acme', 'vm-101'), 'WEBMKS', CONSOLE_PRIVILEGE);
    const first = await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      tenantId: 'acme',
      vmMoId: 'vm-101',
      instanceUuid: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101',
      consoleType: 'WEBMKS',
      issuedTo: 'admin@acme',
      issuedAt: expect.any(String),
      vnc: { host: '127.0.0.1', port: 5901 },
      // The session's id in the registry of open consoles, and the tenant's policy (defaults: docs/sessions.md).
      session: { sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/), idleTimeoutSeconds: 1200, maxDurationSeconds: 86_400, heartbeatSeconds: 60 },
    });
    expect(ConsoleTargetSchema.safeParse(first.body).success).toBe(true);
    // Every page of the VM's open consoles: other files open consoles of the demo's web-01 at the same time.
    const listed: { consoleSessions: unknown[] } = { consoleSessions: [] };
    let next: string | undefined;
    do {
      const page = await api('GET', `/operator/v1/tenants/acme/vms/vm-101/console-sessions?limit=1000${next ? `&next=${encodeURIComponent(next)}` : ''}`, { headers: OPERATOR });
      expect(page.status).toBe(200);
      listed.consoleSessions.push(...page.body.consoleSessions);
      next = page.body.next;
    } while (next);
    expect(listed.consoleSessions).toContainEqual(expect.objectContaining({ sessionId: first.body.session.sessionId, userName: 'admin@acme', consoleType: 'WEBMKS' }));
    const second = await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } });
    expect(second.status).toBe(404);
    expect(second.body).toEqual({
      error_type: 'NOT_FOUND',
      messages: [{ args: [], default_message: 'The console ticket is not valid.', id: 'com.vmware.vapi.std.errors.not_found' }],
    });
  });

  it.each([
    ['an unknown ticket', `acme.${'x'.repeat(16)}.${'x'.repeat(43)}`],
    ['a malformed ticket', 'hello'],
    ['a ticket with a forged tenant', `globex.${'y'.repeat(16)}.${'y'.repeat(43)}`],
  ])('refuses %s with the same 404', async (_case, ticket) => {
    const response = await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } });
    expect(response.status).toBe(404);
    expect(response.body.messages[0].default_message).toBe('The console ticket is not valid.');
  });

  it('is only for the console proxy: the operator key and no key are refused', async () => {
    const { ticket } = await Tickets.issueTicket(admin, await getVm('acme', 'vm-101'), 'WEBMKS', CONSOLE_PRIVILEGE);
    for (const headers of [OPERATOR, {}, { authorization: 'Bearer demo-console-proxy-key-x' }]) {
      const response = await api('POST', '/console-proxy/v1/redemptions', { headers, body: { ticket } });
      expect(response.status).toBe(401);
    }
    // The refused attempts did not consume it.
    expect((await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } })).status).toBe(200);
  });

  it('logs the issue and the redemption of a ticket as events naming its fingerprint, never the ticket', async () => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write);
    let ticket: string;
    try {
      ({ ticket } = await Tickets.issueTicket(admin, await getVm('acme', 'vm-101'), 'WEBMKS', CONSOLE_PRIVILEGE));
      expect((await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } })).status).toBe(200);
    } finally {
      spy.mockRestore();
    }
    const events = lines
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.includes('console ticket'))
      .map((line) => JSON.parse(line));
    const fingerprint = createHash('sha256').update(ticket.split('.').at(-1)!).digest('hex').slice(0, 8);
    const expected = { tenant: 'acme', vm: 'vm-101', user: 'admin@acme', consoleType: 'WEBMKS', ticket: fingerprint };
    expect(events).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'console ticket issued', ...expected }),
      expect.objectContaining({ level: 'INFO', message: 'console ticket redeemed', ...expected }),
    ]);
    expect(lines.join('')).not.toContain(ticket.split('.').at(-1)!);
  });
});
