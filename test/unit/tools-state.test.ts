/** Who counts as "VMware Tools running", who is waited for while reconnecting, and who is refused at once. */
import { afterEach, describe, expect, it } from 'vitest';
import { nowMs } from '../../lib/core/clock.js';
import { isReconnecting, requireToolsRunning } from '../../lib/core/guest/tools.js';
import type { AgentRecord, VmRecord } from '../../lib/records.js';

const vm = (guestOsFamily: string) => ({ tenantId: 't', moId: 'vm-1', powerState: 'poweredOn', guestOsFamily }) as unknown as VmRecord;
const agent = (fields: Partial<AgentRecord>) =>
  ({ tenantId: 't', moId: 'vm-1', credentialHash: 'c', issuedAt: '', publicKey: 'k', ...fields }) as AgentRecord;
const ago = (seconds: number) => nowMs() - seconds * 1000;

afterEach(() => {
  delete process.env.GUEST_AGENT_RECONNECT_GRACE_SECONDS;
});

describe('the tools state of an agent', () => {
  it.each([
    ['connected, a health message 5 minutes ago', { connectionId: 'c1', lastHeartbeatMs: ago(300) }, 'running'],
    ['polling, a heartbeat 10 s ago', { lastHeartbeatMs: ago(10) }, 'running'],
    ['its connection closed 3 s ago, alive 5 minutes before', { lastHeartbeatMs: ago(303), disconnectedAtMs: ago(3) }, 'reconnecting'],
    ['its connection closed 3 s ago, then an HTTP heartbeat', { lastHeartbeatMs: ago(1), disconnectedAtMs: ago(3) }, 'running'],
    ['its connection closed 11 s ago (past the 10 s grace)', { lastHeartbeatMs: ago(300), disconnectedAtMs: ago(11) }, 'not running'],
    ['its connection closed 3 s ago, silent for 20 minutes before', { lastHeartbeatMs: ago(1203), disconnectedAtMs: ago(3) }, 'not running'],
    ['polling, silent for 31 s', { lastHeartbeatMs: ago(31) }, 'not running'],
    ['never registered', { publicKey: undefined, lastHeartbeatMs: ago(1) }, 'not running'],
  ])('%s: %s', (_case, fields, expected) => {
    const record = agent(fields);
    const state = (() => {
      try {
        requireToolsRunning(vm('linux'), record);
      } catch {
        return 'not running';
      }
      return isReconnecting(record) ? 'reconnecting' : 'running';
    })();
    expect(state).toBe(expected);
  });

  it('takes the grace from GUEST_AGENT_RECONNECT_GRACE_SECONDS', () => {
    const record = agent({ lastHeartbeatMs: ago(60), disconnectedAtMs: ago(20) });
    expect(isReconnecting(record)).toBe(false);
    process.env.GUEST_AGENT_RECONNECT_GRACE_SECONDS = '30';
    expect(isReconnecting(record)).toBe(true);
  });

  it('refuses a Windows guest at once, whatever its agent', () => {
    expect(() => requireToolsRunning(vm('windows'), agent({ connectionId: 'c1', lastHeartbeatMs: ago(1) }))).toThrow(
      'VMware Tools is not installed in vm-1: the guest agent runs on Linux guests only.',
    );
  });
});
