import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * The credential formats the API, the guest agent and the console proxy share: tickets, tokens and session
 * ids, their fingerprints, and scrypt verifiers. Needs nothing but node:crypto.
 *
 * Every ticket, console token and session id is `<tenant>.<scope>.<32 random bytes, base64url>`. The scope
 * is a fixed-length digest (`scopeKey`) of what the credential is partitioned by: the user name for a
 * session, the VM's moId for a ticket. Tenant and scope are in the clear so that the hot path can name the
 * credential's item (and the VM's) without a lookup; a forged tenant or scope part names another partition
 * and simply finds nothing. Only the SHA-256 of the random part is ever stored: a leaked table holds no
 * usable credential (the same reasoning as Nova's console_auth_token.py). The older `<tenant>.<secret>`
 * form matches no partition of today's layout and is refused like any unknown credential.
 */
export interface IssuedSecret {
  /** The credential handed to the client, once. */
  value: string;
  tenantId: string;
  /** `scopeKey` of the user name (a session) or the VM's moId (a ticket). */
  scope: string;
  /** Hex SHA-256 of the random part: the only form that is stored. */
  hash: string;
}

const SECRET_BYTES = 32;
const SCOPE_BYTES = 12;
const TOKEN_PATTERN = /^([a-z0-9][a-z0-9-]{0,62})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

/**
 * The fixed-length digest a session id or ticket carries of what it is partitioned by (96 bits of SHA-256,
 * 16 base64url characters): the user name or moId never travels inside a credential, and a key built from
 * it has one length whatever the name's.
 */
export const scopeKey = (name: string): string =>
  createHash('sha256').update(name).digest().subarray(0, SCOPE_BYTES).toString('base64url');

export function issueSecret(tenantId: string, scope: string): IssuedSecret {
  const random = randomBytes(SECRET_BYTES).toString('base64url');
  return { value: `${tenantId}.${scope}.${random}`, tenantId, scope, hash: sha256Hex(random) };
}

/** Splits a presented credential; `undefined` when it cannot be one of ours (so it is refused untouched). */
export function parseSecret(value: string | undefined): IssuedSecret | undefined {
  const match = value ? TOKEN_PATTERN.exec(value) : null;
  if (!match) return undefined;
  return { value: value!, tenantId: match[1]!, scope: match[2]!, hash: sha256Hex(match[3]!) };
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** What logs and audit items carry instead of a secret. */
export const fingerprint = (hash: string): string => hash.slice(0, 8);

/** Constant-time comparison of two hex digests of equal kind. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

// scrypt parameters: N=2^14, r=8, p=1 (~16 MiB, tens of ms) — the interactive-login recommendation.
const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32 } as const;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/**
 * `scrypt$N$r$p$salt$key`, salt and key base64url. `cost` is scrypt's N: the default suits stored login
 * passwords; short-lived verifiers on a request path may take less (the cost travels in the encoding).
 */
export async function hashPassword(password: string, cost: number = SCRYPT.N): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.keyLength, { ...SCRYPT, N: cost });
  return ['scrypt', cost, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = encoded.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(actual, expected);
}

/** A fixed hash to verify against when the user does not exist, so timing does not reveal which users exist. */
export const DUMMY_PASSWORD_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
