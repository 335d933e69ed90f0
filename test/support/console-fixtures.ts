/**
 * Fixtures for the console proxy tests: a tenant and VMs of their own (whose VNC endpoint is a test
 * server), tickets issued through the core, and a proxy configured for tests.
 */
import { randomBytes } from 'node:crypto';
import { getVm } from '../../lib/core/inventory.js';
import { CONSOLE_PRIVILEGE } from '../../lib/core/privileges.js';
import * as Tickets from '../../lib/core/tickets.js';
import type { ConsoleProxyConfig } from '../../proxy/config.js';
import { api, OPERATOR } from './api.js';
import type { SessionRecord, VmRecord } from '../../lib/records.js';

export const CONSOLE_PAGE_ORIGIN = 'http://console.test';

export async function createTenant(prefix: string): Promise<string> {
  const tenantId = `${prefix}-${randomBytes(4).toString('hex')}`;
  const response = await api('PUT', `/operator/v1/tenants/${tenantId}`, { headers: OPERATOR, body: { displayName: prefix } });
  if (response.status >= 300) throw new Error(`tenant: ${response.status} ${response.text}`);
  return tenantId;
}

let uuidCounter = 0;

/** A powered-on VM whose console is `vncPort` on loopback. */
export async function createVm(tenantId: string, moId: string, vncPort: number): Promise<VmRecord> {
  uuidCounter += 1;
  const suffix = `${randomBytes(4).toString('hex')}${String(uuidCounter).padStart(4, '0')}`;
  const response = await api('PUT', `/operator/v1/tenants/${tenantId}/vms/${moId}`, {
    headers: OPERATOR,
    body: {
      instanceUuid: `6a1b7c2d-3e4f-4a5b-8c6d-${suffix}`,
      name: `${moId}-console`,
      powerState: 'poweredOn',
      guestOsFamily: 'linux',
      host: {
        address: 'esx-01.test',
        sslThumbprintSha1: Array(20).fill('AB').join(':'),
        sslThumbprintSha256: Array(32).fill('CD').join(':'),
      },
      vnc: { host: '127.0.0.1', port: vncPort },
      vmxPath: `[datastore1] ${moId}/${moId}.vmx`,
    },
  });
  if (response.status !== 200) throw new Error(`vm: ${response.status} ${response.text}`);
  return getVm(tenantId, moId);
}

/** Issues a console ticket the way every dialect does (lib/core/tickets.ts). */
export async function issueConsoleTicket(vm: VmRecord, consoleType = 'WEBMKS', userName = `admin@${vm.tenantId}`): Promise<string> {
  const session = { tenantId: vm.tenantId, userName, privileges: [CONSOLE_PRIVILEGE] } as unknown as SessionRecord;
  return (await Tickets.issueTicket(session, vm, consoleType, CONSOLE_PRIVILEGE)).ticket;
}

export function proxyConfig(apiBaseUrl: string, overrides: Partial<ConsoleProxyConfig> = {}): ConsoleProxyConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    apiBaseUrl,
    apiKey: 'demo-console-proxy-key',
    allowedOrigins: [CONSOLE_PAGE_ORIGIN],
    idleTimeoutMs: 30_000,
    maxSessionMs: 60_000,
    maxSessions: 10,
    maxSessionsPerTenant: 10,
    // Room for a busy machine: a test that wants a timeout to fire sets its own.
    maxPendingRedemptions: 64,
    maxPendingPerClient: 4,
    redemptionTimeoutMs: 60_000,
    trustForwardedFor: false,
    vncConnectTimeoutMs: 30_000,
    apiTimeoutMs: 60_000,
    highWaterMarkBytes: 256 * 1024,
    maxMessageBytes: 256 * 1024,
    ...overrides,
  };
}

/** Tees stdout and stderr (where the proxy's JSON log goes) into `sink`; returns the undo. */
export function captureOutput(sink: (text: string) => void): () => void {
  const restores = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (write as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof stream.write;
    return () => (stream.write = write);
  });
  return () => restores.forEach((restore) => restore());
}
