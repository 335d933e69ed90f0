/**
 * No issued ticket, session id, token or password in any log line or stored item. Every worker's log lines
 * (at DEBUG) and every secret a handler answered are captured by test/support/log-capture.ts; this file
 * issues secrets in every dialect and audits what has been captured so far, and the global teardown
 * audits the whole suite once every worker is done.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { api, basic, CONSOLE_PROXY, loginVcenter, session } from '../support/api.js';
import { findLeaks } from '../support/log-capture.js';

const dir = inject('logCaptureDir');

describe('secrets', () => {
  it.skipIf(!dir)('appear in no log line and no stored item after every dialect issued some', async () => {
    const sessionId = await loginVcenter();
    await api('POST', '/rest/com/vmware/cis/session', { headers: basic('admin@acme', 'acme-admin-pass') });
    await api('POST', '/sdk/vim25/8.0.2.0/SessionManager/SessionManager/Login', {
      body: { userName: 'admin@acme', password: 'acme-admin-pass' },
    });
    const rest = await api('POST', '/rest/vcenter/vm/vm-101/console/tickets', { headers: session(sessionId), body: { spec: { type: 'VMRC' } } });
    expect(rest.status).toBe(200);
    const webmks = await api('POST', '/api/vcenter/vm/vm-101/console/tickets', { headers: session(sessionId), body: { type: 'WEBMKS' } });
    const ticket = /\/ticket\/(.+)$/.exec(webmks.body.ticket)![1]!;
    await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } });
    await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } }); // refused: logged too
    await api('GET', '/api/session', { headers: session(sessionId) });
    await api('DELETE', '/api/session', { headers: session(sessionId) });

    const audit = await findLeaks(dir!, process.env.DYNAMODB_ENDPOINT);
    expect(audit.lines).toBeGreaterThan(10);
    expect(audit.secrets).toBeGreaterThan(3);
    expect(audit.leaks).toEqual([]);
  });

  it('the audit finds a secret that did leak (into a log line and into a stored item name)', async () => {
    const canary = mkdtempSync(join(tmpdir(), 'console-broker-canary-'));
    try {
      const secret = `acme.${'Zq9'.repeat(14)}x`;
      writeFileSync(join(canary, 'secrets-1.txt'), `secret ${secret.slice(5)}\npassword a-long-guest-passw0rd\n`);
      writeFileSync(join(canary, 'log-1.txt'), `{"level":"INFO","message":"request","ticket":"${secret}"}\nuser typed a-long-guest-passw0rd\n`);
      const audit = await findLeaks(canary, undefined);
      expect(audit.leaks.map((leak) => leak.where)).toEqual(['log log-1.txt', 'log log-1.txt']);
    } finally {
      rmSync(canary, { recursive: true, force: true });
    }
  });
});
