import type { AuditEventRecord, ConsoleSessionRecord } from '../records.js';
import { InvalidArgument } from '../core/errors.js';
import { putItem } from './items.js';
import { dayOf, keys, SK } from './keys.js';
import { recordsIn } from './paging.js';
import { putRequest } from './requests.js';

/** The most days one listing reads (one Query each): a month. */
export const MAX_AUDIT_DAYS = 31;

/**
 * Writes one console session's audit record, under the day it started. The key carries the proxy's
 * session id, so a proxy that retries after a lost response finds its own record already there: `false`,
 * not a second copy.
 */
export const putConsoleSession = (record: ConsoleSessionRecord): Promise<boolean> =>
  putItem(putRequest(keys.consoleAudit(record.tenantId, record.startedAt, record.sessionId), record, { ifAbsent: true }));

/**
 * A tenant's console sessions that started on the UTC days `from` to `to` (`yyyy-mm-dd`, both included, at
 * most `MAX_AUDIT_DAYS`), oldest first: one Query of each day's partition.
 */
export async function listConsoleSessions(tenantId: string, from: string, to: string = from): Promise<ConsoleSessionRecord[]> {
  const days: string[] = [];
  for (let day = Date.parse(`${from}T00:00:00.000Z`); day <= Date.parse(`${to}T00:00:00.000Z`); day += 86_400_000) {
    if (days.length === MAX_AUDIT_DAYS) throw InvalidArgument(`A console session listing spans at most ${MAX_AUDIT_DAYS} days.`);
    days.push(dayOf(new Date(day).toISOString()));
  }
  const perDay = await Promise.all(days.map((day) => recordsIn<ConsoleSessionRecord>(keys.auditPartition(tenantId, day))));
  // The day's other audit entries (recordings: `listAuditEvents`) are no session records.
  return perDay.flat().filter((record) => 'principal' in record);
}

/** An audit entry about a recording (started, stopped, played), beside the day's console session records. */
export const auditEventPutRequest = (event: AuditEventRecord, discriminator: string = event.event) =>
  putRequest(keys.auditEvent(event.tenantId, event.at, event.recordingId, discriminator), event, { ifAbsent: true });

/** Writes an audit entry; the same entry again (a retried report) is a no-op: `false`. */
export const putAuditEvent = (event: AuditEventRecord, discriminator?: string): Promise<boolean> => putItem(auditEventPutRequest(event, discriminator));

/** A tenant's audit entries (not console session records) of one UTC day (`yyyy-mm-dd`), in time order. */
export const listAuditEvents = (tenantId: string, day: string): Promise<AuditEventRecord[]> =>
  recordsIn<AuditEventRecord>(keys.auditPartition(tenantId, day), SK.auditEventPrefix);
