import { config } from '../config.js';
import { Unauthenticated } from './errors.js';
import { digestsEqual, sha256Hex } from '../protocol/secrets.js';

/**
 * Platform principals are not tenant users: the operator (provisions tenants, users and VMs) and the
 * console proxy (may only redeem tickets). Each presents a key whose SHA-256 is configured; an unset
 * hash refuses everyone (fail closed).
 */
export type PlatformRole = 'operator' | 'consoleProxy';

/** Whether `key` is the platform key of `role` (the WebSocket authorizer tells console proxies from agents so). */
export function isPlatformKey(role: PlatformRole, key: string | undefined): boolean {
  try {
    authenticatePlatform(role, key);
    return true;
  } catch {
    return false;
  }
}

export function authenticatePlatform(role: PlatformRole, presentedKey: string | undefined): void {
  const expected = role === 'operator' ? config.operatorKeySha256() : config.consoleProxyKeySha256();
  if (!expected || !presentedKey || !digestsEqual(sha256Hex(presentedKey), expected.toLowerCase())) {
    throw Unauthenticated('A valid platform key is required.');
  }
}
