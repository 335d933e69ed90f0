import * as z from 'zod';
import { PrivilegeSchema, RoleSchema } from './privileges.js';
import { RecordingPolicyOverrideSchema } from './recording-policy.js';
import {
  CountSchema,
  ExitCodeSchema,
  InstanceUuidSchema,
  IsoTimestampSchema,
  MoIdSchema,
  PidSchema,
  TenantIdSchema,
  UserNameSchema,
} from '../protocol/fields.js';

// Field shapes shared with the protocols, which may not import the core.
export { CountSchema, ExitCodeSchema, InstanceUuidSchema, IsoTimestampSchema, MoIdSchema, PidSchema, TenantIdSchema, UserNameSchema };

export const tenantOfUserName = (userName: string): string => userName.slice(userName.lastIndexOf('@') + 1);

const thumbprint = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9A-F]{2}(:[0-9A-F]{2}){${bytes - 1}}$`), `a ${bytes}-byte colon-separated hex thumbprint`);

const HostNameSchema = z.string().min(1).max(253).regex(/^[A-Za-z0-9.:[\]-]+$/, 'not a host name or address');
const PortSchema = z.number().int().min(1).max(65535);

export const POWER_STATES = ['poweredOn', 'poweredOff', 'suspended'] as const;
export const CONNECTION_STATES = ['connected', 'disconnected', 'orphaned', 'inaccessible', 'invalid'] as const;
export const GUEST_OS_FAMILIES = ['linux', 'windows', 'solaris', 'other'] as const;

/** What the operator provisions for a VM. */
export const VmSpecSchema = z
  .object({
    instanceUuid: InstanceUuidSchema.transform((uuid) => uuid.toLowerCase()),
    name: z.string().min(1).max(80),
    powerState: z.enum(POWER_STATES),
    connectionState: z.enum(CONNECTION_STATES).default('connected'),
    guestOsFamily: z.enum(GUEST_OS_FAMILIES),
    host: z
      .object({
        address: HostNameSchema,
        port: PortSchema.default(443),
        sslThumbprintSha1: thumbprint(20),
        sslThumbprintSha256: thumbprint(32),
      })
      .strict(),
    vnc: z.object({ host: HostNameSchema, port: PortSchema }).strict(),
    vmxPath: z.string().min(1).max(1024),
    /** The virtual hardware, where the operator knows it (vCenter leaves a summary's cpu_count and memory unset otherwise). */
    cpuCount: z.number().int().min(1).max(768).optional(),
    memorySizeMiB: z.number().int().min(1).max(24 * 1024 * 1024).optional(),
    /** Overrides fields of the tenant's console recording policy for this VM (docs/recording.md). */
    recordingPolicy: RecordingPolicyOverrideSchema.optional(),
  })
  .strict();
export type VmSpec = z.infer<typeof VmSpecSchema>;

export const PrincipalSpecSchema = z
  .object({
    password: z.string().min(8).max(256),
    fullName: z.string().max(200).optional(),
    privileges: z.array(PrivilegeSchema).max(32).default([]),
    /** Named sets of privileges (lib/core/privileges.ts ROLES), added to `privileges`. */
    roles: z.array(RoleSchema).max(8).default([]),
  })
  .strict();
