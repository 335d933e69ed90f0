import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * The credential formats the API, the guest agent and the console proxy share: tickets, tokens and session
 * ids, their fingerprints, and scrypt verifiers. Needs nothing but node:crypto.
 *
 * Every ticket, console token and session id is `<tenant>.<32 random bytes, base64url>`. The tenant part is
 * in the clear so that the session (or ticket) and the object it targets live in the same partition and can
 * be fetched in one round trip; a forged tenant part simply finds nothing. Only the SHA-256 of the random
 * part is ever stored: a leaked table holds no usable credential (the same reasoning as Nova's
 * console_auth_token.py).
 */
export interface IssuedSecret {
  /** The credential handed to the client, once. */
  value: string;
  tenantId: string;
  /** Hex SHA-256 of the random part: the only form that is stored. */
  hash: string;
}

const SECRET_BYTES = 32;
const TOKEN_PATTERN = /^([a-z0-9][a-z0-9-]{0,62})\.([A-Za-z0-9_-]{43})$/;

export function issueSecret(tenantId: string): IssuedSecret {
  const random = randomBytes(SECRET_BYTES).toString('base64url');
  return { value: `${tenantId}.${random}`, tenantId, hash: sha256Hex(random) };
}

/** Splits a presented credential; `undefined` when it cannot be one of ours (so it is refused untouched). */
export function parseSecret(value: string | undefined): IssuedSecret | undefined {
  const match = value ? TOKEN_PATTERN.exec(value) : null;
  if (!match) return undefined;
  return { value: value!, tenantId: match[1]!, hash: sha256Hex(match[2]!) };
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
