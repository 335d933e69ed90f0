import * as z from 'zod';

/** The field shapes the API's protocols share with its records (lib/core/model.ts re-exports them). */

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

/** An ISO 8601 time as clients send it; bounded, since a time can end up in a key (DynamoDB keys are short). */
export const IsoTimestampSchema = z.string().max(40).datetime();

/** A count or size a client reports: a safe integer, which DynamoDB can store exactly. */
export const CountSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Process ids and exit codes as 32-bit guests have them (Windows exit codes are unsigned). */
export const PidSchema = z.number().int().min(1).max(2 ** 32 - 1);
export const ExitCodeSchema = z.number().int().min(-(2 ** 31)).max(2 ** 32 - 1);

/** Instance UUIDs (Nova server ids), compared in lower case. */
export const InstanceUuidSchema = z.guid();
