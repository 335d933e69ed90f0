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
import { z } from 'zod';
import { ExitCodeSchema, IsoTimestampSchema, PidSchema } from './model.js';

/**
 * Guest credentials travel sealed to the one agent that may read them: an ECIES-style box (ephemeral
 * X25519 key agreement → HKDF-SHA256 → AES-256-GCM). The API holds only the agent's public key, so neither
 * the table nor the API's logs ever hold a usable guest password; the work id is bound in as associated
 * data, so a sealed payload cannot be replayed under another work item. Used by lib/core/guest.ts (seal)
 * and agent/ (open); it needs nothing but node:crypto.
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

// ---- what travels inside the box, and what the agent answers (the agent protocol) ----

export const GuestCredentialsSchema = z.object({
  type: z.enum(['USERNAME_PASSWORD', 'SAML_BEARER_TOKEN']),
  userName: z.string().optional(),
  password: z.string().optional(),
  samlToken: z.string().optional(),
  interactiveSession: z.boolean().default(false),
});
export type GuestCredentials = z.infer<typeof GuestCredentialsSchema>;

export const ProgramSpecSchema = z.object({
  path: z.string(),
  arguments: z.string().optional(),
  workingDirectory: z.string().optional(),
  /** When present, the complete environment of the program (not additions to a default). */
  environment: z.record(z.string(), z.string()).optional(),
});
export type ProgramSpec = z.infer<typeof ProgramSpecSchema>;

/** The sealed body of a work item, by operation. */
export const WorkPayloadSchema = z.discriminatedUnion('operation', [
  z.object({ operation: z.literal('start'), credentials: GuestCredentialsSchema, spec: ProgramSpecSchema }),
  z.object({ operation: z.literal('authenticate'), credentials: GuestCredentialsSchema }),
  z.object({ operation: z.literal('terminate'), credentials: GuestCredentialsSchema, pid: PidSchema }),
]);
export type WorkPayload = z.infer<typeof WorkPayloadSchema>;

/** Why an agent refused a work item; the core maps each to its domain error. */
export const REFUSALS = [
  'invalid_credentials',
  'path_not_accessible',
  'failed_to_start',
  'busy',
  'process_not_found',
  'permission_denied',
  'unsupported',
] as const;
export type Refusal = (typeof REFUSALS)[number];

export const ProcessInfoSchema = z
  .object({
    pid: PidSchema,
    name: z.string().max(4096),
    owner: z.string().max(256),
    command: z.string().max(70_000),
    started: IsoTimestampSchema,
  })
  .strict();
export type ProcessInfo = z.infer<typeof ProcessInfoSchema>;

export const WorkResultSchema = z.discriminatedUnion('outcome', [
  z.object({ workId: z.string().max(80), outcome: z.literal('started'), process: ProcessInfoSchema }).strict(),
  z.object({ workId: z.string().max(80), outcome: z.literal('done') }).strict(),
  z.object({ workId: z.string().max(80), outcome: z.literal('refused'), reason: z.enum(REFUSALS) }).strict(),
]);
export type WorkResult = z.infer<typeof WorkResultSchema>;

export const ProcessExitSchema = z
  // No exit code: the program was started by an earlier agent instance, which alone could have seen it.
  .object({ pid: PidSchema, exitCode: ExitCodeSchema.optional(), finished: IsoTimestampSchema })
  .strict();
export type ProcessExit = z.infer<typeof ProcessExitSchema>;

/** What a sealed payload is bound to: the box opens only as this very work item of this very VM. */
export const workBinding = (tenantId: string, moId: string, workId: string) => `${tenantId}/${moId}/${workId}`;
