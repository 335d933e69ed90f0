import * as z from 'zod';
import { PrivilegeSchema } from './privileges.js';

/** Tenant ids are DNS-label-like: they appear in credentials (`<tenant>.<secret>`) and user names. */
export const TenantIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a tenant id is 1-63 lowercase letters, digits or hyphens');

/** A managed object id as vSphere writes them (`vm-101`). */
export const MoIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'not a managed object id');

/** User names carry their tenant as the domain, as vSphere SSO names carry theirs: `admin@acme`. */
export const UserNameSchema = z
  .string()
  .max(320)
  .regex(/^[A-Za-z0-9._+-]{1,64}@[a-z0-9][a-z0-9-]{0,62}$/, 'a user name is <name>@<tenant>');

export const tenantOfUserName = (userName: string): string => userName.slice(userName.lastIndexOf('@') + 1);

/** An ISO 8601 time as clients send it; bounded, since a time can end up in a key (DynamoDB keys are short). */
export const IsoTimestampSchema = z.string().max(40).datetime();

/** A count or size a client reports: a safe integer, which DynamoDB can store exactly. */
export const CountSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Process ids and exit codes as 32-bit guests have them (Windows exit codes are unsigned). */
export const PidSchema = z.number().int().min(1).max(2 ** 32 - 1);
export const ExitCodeSchema = z.number().int().min(-(2 ** 31)).max(2 ** 32 - 1);

/** Instance UUIDs (Nova server ids), compared in lower case. */
export const InstanceUuidSchema = z.guid();

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
  })
  .strict();
export type VmSpec = z.infer<typeof VmSpecSchema>;

export const PrincipalSpecSchema = z
  .object({
    password: z.string().min(8).max(256),
    fullName: z.string().max(200).optional(),
    privileges: z.array(PrivilegeSchema).max(32).default([]),
  })
  .strict();
