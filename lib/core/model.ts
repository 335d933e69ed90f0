import * as z from 'zod';
import { PrivilegeSchema, type Privilege } from './privileges.js';
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
  })
  .strict();
export type VmSpec = z.infer<typeof VmSpecSchema>;

export interface VmRecord extends VmSpec {
  tenantId: string;
  moId: string;
  /** When this machine (this instance UUID) was first put in the inventory; kept across replacements of its record. */
  createdAt: string;
  updatedAt: string;
}

export interface TenantRecord {
  tenantId: string;
  displayName: string;
  createdAt: string;
}

export const PrincipalSpecSchema = z
  .object({
    password: z.string().min(8).max(256),
    fullName: z.string().max(200).optional(),
    privileges: z.array(PrivilegeSchema).max(32).default([]),
  })
  .strict();

export interface PrincipalRecord {
  tenantId: string;
  userName: string;
  fullName?: string;
  passwordHash: string;
  privileges: Privilege[];
  updatedAt: string;
}

/** Failed logins of one user name (known or not) within the current window, and a lockout once too many. */
export interface LoginFailuresRecord {
  tenantId: string;
  userName: string;
  failures: number;
  /** Epoch seconds until which logins are refused, once `failures` reached the limit. */
  lockedUntil?: number;
  /** Epoch seconds: the end of the failure window, or of the lockout. */
  expiresAt: number;
}

/** A logged-in principal, as resolved from a session. Privileges are the ones granted at login. */
export interface SessionRecord {
  tenantId: string;
  sessionHash: string;
  userName: string;
  privileges: Privilege[];
  createdAt: string;
  lastAccessedAt: string;
  /** Epoch seconds: the idle deadline, pushed forward on use. */
  expiresAt: number;
}
