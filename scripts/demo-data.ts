/**
 * The demo data `npm start` seeds (exact, so the README and examples agree). Seeding is idempotent: every
 * write is a put of the same record.
 */
import type { VmSpec } from '../lib/core/model.js';
import type { ScreenIdentity } from './demo-screen/screen.js';
import { PRIVILEGES } from '../lib/core/privileges.js';
import * as Inventory from '../lib/core/inventory.js';
import * as Tenants from '../lib/core/tenants.js';

export { DEMO_CONSOLE_PROXY_KEY, DEMO_OPERATOR_KEY } from './demo-keys.js';

const ESX_SHA1 = '5B:F8:2A:9C:0E:11:47:3D:6A:B2:C4:88:19:70:E3:5F:21:AC:9D:04';
const ESX_SHA256 =
  '3C:91:7A:55:E0:4B:18:D2:6F:A9:02:C7:8E:31:B4:5D:90:1F:6C:E8:27:A3:4D:B9:05:72:CE:11:8A:F6:3B:D0';

// The demo's "ESX host" is the local console proxy (CONSOLE_PROXY_BASE_URL's default), so that a WEBMKS
// ticket's URL, wss://127.0.0.1:6080/ticket/<ticket>, leads a WebSocket client to it (ws:// on loopback).
const esxHost = { address: '127.0.0.1', port: 6080, sslThumbprintSha1: ESX_SHA1, sslThumbprintSha256: ESX_SHA256 };

const vm = (
  name: string,
  instanceUuid: string,
  powerState: VmSpec['powerState'],
  guestOsFamily: VmSpec['guestOsFamily'],
  vncPort: number,
  hardware: { cpuCount: number; memorySizeMiB: number },
): VmSpec => ({
  instanceUuid,
  name,
  powerState,
  connectionState: 'connected',
  guestOsFamily,
  host: esxHost,
  vnc: { host: '127.0.0.1', port: vncPort },
  vmxPath: `[datastore1] ${name}/${name}.vmx`,
  ...hardware,
});

export const DEMO = {
  tenants: [
    {
      tenantId: 'acme',
      displayName: 'ACME Corporation',
      users: [
        { userName: 'admin@acme', password: 'acme-admin-pass', privileges: [...PRIVILEGES] },
        { userName: 'viewer@acme', password: 'acme-viewer-pass', privileges: [] },
      ],
      vms: {
        'vm-101': vm('web-01', '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101', 'poweredOn', 'linux', 5901, { cpuCount: 2, memorySizeMiB: 4096 }),
        'vm-102': vm('db-01', '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9102', 'poweredOff', 'linux', 5902, { cpuCount: 4, memorySizeMiB: 16384 }),
        'vm-103': vm('win-01', '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9103', 'poweredOn', 'windows', 5903, { cpuCount: 2, memorySizeMiB: 8192 }),
      },
    },
    {
      tenantId: 'globex',
      displayName: 'Globex Corporation',
      users: [{ userName: 'admin@globex', password: 'globex-admin-pass', privileges: [...PRIVILEGES] }],
      vms: {
        'vm-201': vm('app-01', '7c9e6679-7425-40de-944b-e07fc1f90201', 'poweredOn', 'linux', 5904, { cpuCount: 1, memorySizeMiB: 2048 }),
      },
    },
  ],
};

export async function seedDemoData(): Promise<void> {
  for (const tenant of DEMO.tenants) {
    await Tenants.putTenant(tenant.tenantId, { displayName: tenant.displayName });
    for (const user of tenant.users) {
      await Tenants.putPrincipal(tenant.tenantId, user.userName, { password: user.password, privileges: user.privileges });
    }
    for (const [moId, spec] of Object.entries(tenant.vms)) {
      await Inventory.putVm(tenant.tenantId, moId, spec);
    }
  }
}

/** Each demo VM's own colour across the top of its screen: how a person (or a test) tells them apart. */
const SCREEN_BANDS: Record<string, string> = { 'vm-101': '#2e7d32', 'vm-102': '#6a1b9a', 'vm-103': '#1565c0', 'vm-201': '#c62828' };

/** The screens `npm start` serves: one per powered-on demo VM, on the VNC endpoint its inventory names. */
export function demoScreens(): (ScreenIdentity & { vnc: { host: string; port: number } })[] {
  return DEMO.tenants.flatMap((tenant) =>
    Object.entries(tenant.vms)
      .filter(([, spec]) => spec.powerState === 'poweredOn')
      .map(([vmMoId, spec]) => ({
        vmMoId,
        name: spec.name,
        tenantId: tenant.tenantId,
        tenantName: tenant.displayName,
        guestOsFamily: spec.guestOsFamily,
        band: SCREEN_BANDS[vmMoId]!,
        vnc: spec.vnc,
      })),
  );
}
