import { config } from '../config.js';
import type { AuditEventRecord, ConsoleSessionRecord } from '../records.js';
import type { ConsoleSessionReport } from '../protocol/console-proxy.js';
import * as store from '../store/index.js';
import { isoNow } from './clock.js';
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

/** When an audit entry that happened at `at` leaves the trail: kept as long as console session records. */
const auditExpiry = (at: string) => Math.floor(Date.parse(at) / 1000) + config.auditRetentionDays() * 86_400;

type Unkept<T> = T extends unknown ? Omit<T, 'expiresAt'> : never;
/** An audit entry as the core builds it, before its expiry is set. */
export type AuditEventEntry = Unkept<AuditEventRecord>;

/** An audit entry (a recording's or a shadow's) with its expiry. */
export const auditEvent = <T extends AuditEventEntry>(entry: T): T & { expiresAt: number } => ({ ...entry, expiresAt: auditExpiry(entry.at) });

/** Writes an audit entry; the same one again (a retried report) is a no-op. */
export async function recordAuditEvent(entry: AuditEventEntry): Promise<void> {
  await store.putAuditEvent(auditEvent(entry));
}

/** Writes several audit entries at once (one BatchWriteItem per 25). */
export async function recordAuditEvents(entries: AuditEventEntry[]): Promise<void> {
  if (entries.length > 0) await store.putAuditEvents(entries.map((entry) => auditEvent(entry)));
}

/** A tenant's audit entries (recordings' and shadows') on the UTC day `day` (`yyyy-mm-dd`), in time order. */
export const listAuditEvents = (tenantId: string, day: string): Promise<AuditEventRecord[]> => store.listAuditEvents(tenantId, day);

/** A console session's record as the audit trail shows it: an entry at its start. */
export type ConsoleSessionEntry = Omit<ConsoleSessionRecord, 'expiresAt'> & { event: 'console session'; at: string };
/** An entry of the audit trail as the operator reads it: what is stored, without its expiry. */
export type AuditTrailEntry = ConsoleSessionEntry | AuditEventEntry;

const entryOf = (record: ConsoleSessionRecord | AuditEventRecord): AuditTrailEntry => {
  if ('principal' in record) {
    const { expiresAt: _expiry, ...session } = record;
    return { event: 'console session', at: session.startedAt, ...session };
  }
  const { expiresAt: _expiry, ...entry } = record;
  return entry;
};

/** Where an entry stands in its day's trail: the `after` of the page that follows it. */
export const auditTrailPosition = (entry: AuditTrailEntry): string => store.auditTrailPosition(entry);

/**
 * A page of a tenant's audit trail of the UTC day `day` (`yyyy-mm-dd`, today by default): its console
 * sessions (by start) and its recordings' and shadows' entries, in time order. A page's `after` must be a
 * position on that day.
 */
export async function auditTrail(tenantId: string, page: store.PageRequest, day = isoNow().slice(0, 10)): Promise<store.Page<AuditTrailEntry> & { day: string }> {
  if (page.after !== undefined && page.after.slice(0, 10) !== day) throw InvalidArgument('The cursor is not one of this day\'s audit trail.', { field: 'next' });
  const found = await store.pageAuditTrail(tenantId, day, page);
  return { day, items: found.items.map(entryOf), more: found.more };
}
