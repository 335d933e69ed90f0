import { config } from '../config.js';
import type { AuditEventRecord, ConsoleSessionRecord } from '../records.js';
import type { ConsoleSessionReport } from '../protocol/console-proxy.js';
import * as store from '../store/index.js';
import { InvalidArgument } from './errors.js';

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

/** A tenant's console sessions that started on the UTC days `from` to `to` (`yyyy-mm-dd`), oldest first. */
export const listConsoleSessions = (tenantId: string, from: string, to?: string): Promise<ConsoleSessionRecord[]> =>
  store.listConsoleSessions(tenantId, from, to);

/** An audit entry about a recording, kept as long as console session records (from the time it happened). */
export const auditEvent = (entry: Omit<AuditEventRecord, 'expiresAt'>): AuditEventRecord => ({
  ...entry,
  expiresAt: Math.floor(Date.parse(entry.at) / 1000) + config.auditRetentionDays() * 86_400,
});

/** Writes an audit entry; the same one again (a retried report) is a no-op. */
export async function recordAuditEvent(entry: Omit<AuditEventRecord, 'expiresAt'>, discriminator?: string): Promise<void> {
  await store.putAuditEvent(auditEvent(entry), discriminator);
}

/** A tenant's audit entries about recordings on the UTC day `day` (`yyyy-mm-dd`), in time order. */
export const listAuditEvents = (tenantId: string, day: string): Promise<AuditEventRecord[]> => store.listAuditEvents(tenantId, day);
