/**
 * A tenant of a test's own, provisioned through the operator API, so that tests which need VMs in odd states
 * or users with particular privileges never change the shared demo data.
 */
import { randomUUID } from 'node:crypto';
import type { Privilege } from '../../lib/core/privileges.js';
import { api, OPERATOR } from './api.js';

export const LAB_SHA1 = '5B:F8:2A:9C:0E:11:47:3D:6A:B2:C4:88:19:70:E3:5F:21:AC:9D:04';
export const LAB_SHA256 = '3C:91:7A:55:E0:4B:18:D2:6F:A9:02:C7:8E:31:B4:5D:90:1F:6C:E8:27:A3:4D:B9:05:72:CE:11:8A:F6:3B:D0';

/** A complete, valid VM spec for the operator API: powered on, linux, on a lab ESX host; `overrides` win. */
export const labVmSpec = (moId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  instanceUuid: randomUUID(),
  name: moId,
  powerState: 'poweredOn',
  guestOsFamily: 'linux',
  host: { address: 'esx-07.lab.test', port: 443, sslThumbprintSha1: LAB_SHA1, sslThumbprintSha256: LAB_SHA256 },
  vnc: { host: '127.0.0.1', port: 5990 },
  vmxPath: `[datastore1] ${moId}/${moId}.vmx`,
  ...overrides,
});

export interface Lab {
  tenant: string;
  /** `PUT /operator/v1/tenants/<tenant><path>`; throws unless the operator API answers 200. */
  put(path: string, body: unknown): Promise<unknown>;
  putUser(name: string, privileges: Privilege[], password?: string): Promise<void>;
  putVm(moId: string, overrides?: Record<string, unknown>): Promise<void>;
}

export async function createLab(prefix: string, displayName: string): Promise<Lab> {
  const tenant = `${prefix}-${randomUUID().slice(0, 8)}`;
  const put = async (path: string, body: unknown) => {
    const response = await api('PUT', `/operator/v1/tenants/${tenant}${path}`, { headers: OPERATOR, body });
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${response.text}`);
    return response.body;
  };
  await put('', { displayName });
  return {
    tenant,
    put,
    putUser: async (name, privileges, password = 'lab-user-pass') => {
      await put(`/users/${name}@${tenant}`, { password, privileges });
    },
    putVm: async (moId, overrides = {}) => {
      await put(`/vms/${moId}`, labVmSpec(moId, overrides));
    },
  };
}
