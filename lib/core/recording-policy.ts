import * as z from 'zod';

/**
 * A tenant's console recording policy (issue 27), as the operator sets it with the tenant, and the fields a
 * VM's spec may set to override it. Vocabulary only (zod): the VM spec (./model.ts) and the records use it;
 * ./recordings.ts resolves the policy in force for a console.
 */

/**
 * The retention classes, in days. Recordings are S3 objects tagged `retention-days=<n>` that the bucket's
 * lifecycle rules expire (one rule per tag value), so only these values exist.
 */
export const RETENTION_CLASSES = [7, 30, 90, 180, 365, 730, 1095, 1825, 2555, 3650] as const;
export const DEFAULT_RETENTION_DAYS = 90;

const RetentionDaysSchema = z
  .number()
  .int()
  .refine((days) => (RETENTION_CLASSES as readonly number[]).includes(days), {
    message: `expected one of the retention classes ${RETENTION_CLASSES.join(', ')} (the recording bucket's lifecycle rules expire recordings by their retention-days tag, one rule per class)`,
  });

const fields = {
  /** Record consoles of the tenant (of the VM). */
  record: z.boolean(),
  /** Also record input from the browser (keystrokes can carry passwords); default false: the screen only. */
  recordInput: z.boolean().optional(),
  /** Days a recording is kept: one of `RETENTION_CLASSES`; default 90. */
  retentionDays: RetentionDaysSchema.optional(),
  /** Refuse a console whose recording cannot be stored; default false (opened, not recorded). */
  mandatory: z.boolean().optional(),
};

/** The tenant's policy: `record` is required, the rest takes its default. */
export const RecordingPolicySpecSchema = z.object(fields).strict();
export type RecordingPolicySpec = z.infer<typeof RecordingPolicySpecSchema>;

/** A VM's override: each field it sets replaces the tenant's. */
export const RecordingPolicyOverrideSchema = z.object({ ...fields, record: fields.record.optional() }).strict();
export type RecordingPolicyOverride = z.infer<typeof RecordingPolicyOverrideSchema>;

/** The policy in force for one console, carried by its ticket to the redemption. */
export interface RecordingPolicy {
  input: boolean;
  mandatory: boolean;
  retentionDays: number;
}
