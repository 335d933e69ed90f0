/** Helpers for the Nova and Keystone tests: tokens, headers and a private tenant for tests that write. */
import { randomUUID } from 'node:crypto';
import { api, loginVcenter, OPERATOR } from './api.js';

export const WEB_01 = '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101';
export const DB_01 = '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9102';
export const APP_01 = '7c9e6679-7425-40de-944b-e07fc1f90201';

/** A compute API token: any session id (Keystone tokens are sessions too). */
export const novaToken = (userName = 'admin@acme', password = 'acme-admin-pass') => loginVcenter(userName, password);

export const nova = (token: string, version?: string): Record<string, string> => ({
  'x-auth-token': token,
  ...(version ? { 'x-openstack-nova-api-version': version } : {}),
});

export const versionHeadersOf = (version: string) => ({
  'openstack-api-version': `compute ${version}`,
  'x-openstack-nova-api-version': version,
  vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
});

/** The console token inside a Nova console URL. */
export function tokenOf(url: string): string {
  const path = new URL(url).searchParams.get('path') ?? '';
  return new URLSearchParams(path.replace(/^\?/, '')).get('token') ?? new URL(url).searchParams.get('token') ?? '';
}

/** The private tenant's one server (vm-1), powered on and connected. */
export const privateServer = (instanceUuid: string) => ({
  instanceUuid,
  name: 'legacy-01',
  powerState: 'poweredOn',
  guestOsFamily: 'linux',
  host: {
    address: 'esx-09.test',
    sslThumbprintSha1: '5B:F8:2A:9C:0E:11:47:3D:6A:B2:C4:88:19:70:E3:5F:21:AC:9D:04',
    sslThumbprintSha256:
      '3C:91:7A:55:E0:4B:18:D2:6F:A9:02:C7:8E:31:B4:5D:90:1F:6C:E8:27:A3:4D:B9:05:72:CE:11:8A:F6:3B:D0',
  },
  vnc: { host: '10.0.0.9', port: 5909 },
  vmxPath: '[datastore1] legacy-01/legacy-01.vmx',
});

/** A fresh tenant with an admin and one powered-on VM, for tests that create things. */
export async function privateTenant(): Promise<{ tenant: string; token: string; serverId: string }> {
  const tenant = `nova-${randomUUID().slice(0, 8)}`;
  const serverId = randomUUID();
  const put = async (path: string, body: unknown) => {
    const response = await api('PUT', path, { headers: OPERATOR, body });
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${response.text}`);
  };
  await put(`/operator/v1/tenants/${tenant}`, { displayName: 'Nova test tenant' });
  await put(`/operator/v1/tenants/${tenant}/users/admin@${tenant}`, {
    password: 'test-admin-pass',
    privileges: ['VirtualMachine.Interact.ConsoleInteract'],
  });
  await put(`/operator/v1/tenants/${tenant}/vms/vm-1`, privateServer(serverId));
  return { tenant, token: await loginVcenter(`admin@${tenant}`, 'test-admin-pass'), serverId };
}
