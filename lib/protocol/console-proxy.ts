import * as z from 'zod';
import { CountSchema, InstanceUuidSchema, IsoTimestampSchema, MoIdSchema, TenantIdSchema, UserNameSchema } from './fields.js';

/**
 * The console proxy's API contract: the two calls proxy/ makes, as the console-proxy platform principal, to
 * functions/console-proxy/. Shared by both sides; it imports nothing of the core.
 */

export const REDEMPTIONS_PATH = '/console-proxy/v1/redemptions';
export const AUDIT_RECORDS_PATH = '/console-proxy/v1/audit-records';

/** The body of a redemption: the ticket (or Nova console token) the browser presented. */
export const RedemptionSchema = z.object({ ticket: z.string().min(1).max(512) }).strict();

/** What a redeemed ticket leads to (the answer of `POST /console-proxy/v1/redemptions`). */
export interface ConsoleTarget {
  tenantId: string;
  vmMoId: string;
  instanceUuid: string;
  consoleType: string;
  issuedTo: string;
  issuedAt: string;
  vnc: { host: string; port: number };
}

/**
 * The body of `POST /console-proxy/v1/audit-records`: who watched which VM, when, and how much went each
 * way. It names the ticket only by its fingerprint (first 8 hex of its SHA-256), never the ticket.
 */
export const ConsoleSessionReportSchema = z
  .object({
    /** The proxy's own id for the session (a UUID): a retried report is recognised, not duplicated. */
    sessionId: z.guid(),
    tenantId: TenantIdSchema,
    vmMoId: MoIdSchema,
    instanceUuid: InstanceUuidSchema,
    consoleType: z.string().min(1).max(32),
    /** The principal the ticket was issued to. */
    principal: UserNameSchema,
    ticketFingerprint: z.string().regex(/^[0-9a-f]{8}$/, 'eight lowercase hex digits'),
    startedAt: IsoTimestampSchema,
    endedAt: IsoTimestampSchema,
    /** Bytes from the browser to the VM's console, and from the VM's console to the browser. */
    bytesToVm: CountSchema,
    bytesFromVm: CountSchema,
    /** Why the session ended, in the proxy's words (`client closed`, `idle timeout`, ...). */
    endReason: z.string().min(1).max(200),
    clientAddress: z.string().max(64).optional(),
  })
  .strict();
export type ConsoleSessionReport = z.infer<typeof ConsoleSessionReportSchema>;
