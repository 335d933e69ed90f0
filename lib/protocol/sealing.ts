import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import * as z from 'zod';

/**
 * Guest credentials travel sealed to the one agent that may read them: an ECIES-style box (ephemeral
 * X25519 key agreement → HKDF-SHA256 → AES-256-GCM). The API holds only the agent's public key, so neither
 * the table nor the API's logs ever hold a usable guest password; the work id is bound in as associated
 * data, so a sealed payload cannot be replayed under another work item. Used by the API (seal) and agent/
 * (open); it needs nothing but node:crypto.
 */
export const SEALING_ALGORITHM = 'X25519-HKDF-SHA256-A256GCM';

export const SealedSchema = z
  .object({
    alg: z.literal(SEALING_ALGORITHM),
    epk: z.string().max(200),
    iv: z.string().max(40),
    ct: z.string().max(400_000),
    tag: z.string().max(40),
  })
  .strict();
export type Sealed = z.infer<typeof SealedSchema>;

const INFO = 'console-broker guest work v1';

function deriveKey(shared: Buffer, ephemeralDer: Buffer, recipientDer: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralDer, recipientDer]), INFO, 32));
}

const spki = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' });

/** Parses an agent's registered public key; `undefined` unless it is an X25519 SPKI PEM. */
export function parseAgentPublicKey(pem: string): KeyObject | undefined {
  try {
    const key = createPublicKey(pem);
    return key.asymmetricKeyType === 'x25519' ? key : undefined;
  } catch {
    return undefined;
  }
}

export function seal(recipientPem: string, plaintext: string, associatedData: string): Sealed {
  const recipient = parseAgentPublicKey(recipientPem);
  if (!recipient) throw new Error('the agent public key is not an X25519 key');
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralDer = spki(ephemeral.publicKey);
  const key = deriveKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), ephemeralDer, spki(recipient));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(associatedData, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    alg: SEALING_ALGORITHM,
    epk: ephemeralDer.toString('base64url'),
    iv: iv.toString('base64url'),
    ct: ct.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
  };
}

/** Opens a box sealed to `privateKey`; throws if it was sealed to another key, altered, or re-bound. */
export function open(privateKey: KeyObject, sealed: Sealed, associatedData: string): string {
  const ephemeralDer = Buffer.from(sealed.epk, 'base64url');
  const ephemeral = createPublicKey({ key: ephemeralDer, format: 'der', type: 'spki' });
  const recipientDer = spki(createPublicKey(privateKey));
  const key = deriveKey(diffieHellman({ privateKey, publicKey: ephemeral }), ephemeralDer, recipientDer);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'))
    .setAAD(Buffer.from(associatedData, 'utf8'))
    .setAuthTag(Buffer.from(sealed.tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64url')), decipher.final()]).toString('utf8');
}
