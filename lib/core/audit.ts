import * as z from 'zod';
import { config } from '../config.js';
import type { ConsoleSessionRecord } from '../records.js';
import * as store from '../store/index.js';
import { InvalidArgument } from './errors.js';
import { CountSchema, InstanceUuidSchema, IsoTimestampSchema, MoIdSchema, TenantIdSchema, UserNameSchema } from './model.js';

/**
 * What the console proxy reports when a console session ends: who watched which VM, when, and how much
 * went each way. It names the ticket only by its fingerprint (first 8 hex of its SHA-256), never the ticket.
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

/** Stores the audit record of one ended console session; a repeated report of the same session is a no-op. */
export async function recordConsoleSession(report: ConsoleSessionReport, now = new Date()): Promise<ConsoleSessionRecord> {
  if (Date.parse(report.endedAt) < Date.parse(report.startedAt)) {
    throw InvalidArgument('A console session cannot end before it starts.', { field: 'endedAt' });
  }
  const record: ConsoleSessionRecord = {
    ...report,
    recordedAt: now.toISOString(),
    expiresAt: Math.floor(Date.parse(report.endedAt) / 1000) + config.auditRetentionDays() * 86_400,
  };
  await store.putConsoleSession(record);
  return record;
}

export const listConsoleSessions = (tenantId: string): Promise<ConsoleSessionRecord[]> => store.listConsoleSessions(tenantId);
