import type { ConsoleSessionRecord, ShadowAuditRecord } from '../records.js';
import { InvalidArgument } from '../core/errors.js';
import { putItem, putItems } from './items.js';
import { dayOf, keys } from './keys.js';
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
  const perDay = await Promise.all(days.map((day) => recordsIn<ConsoleSessionRecord | ShadowAuditRecord>(keys.auditPartition(tenantId, day))));
  // The day's partition also holds shadows' start and end entries (`putShadowAudits`).
  return perDay.flat().filter((record): record is ConsoleSessionRecord => !('event' in record));
}

/** Writes shadows' start or end entries to the audit trail (BatchWriteItem: each key is its own). */
export const putShadowAudits = (records: ShadowAuditRecord[]): Promise<void> =>
  putItems(records.map((record) => putRequest(keys.shadowAudit(record), record)));

/** A tenant's shadow entries of one UTC day (`yyyy-mm-dd`), oldest first. */
export async function listShadowAudits(tenantId: string, day: string): Promise<ShadowAuditRecord[]> {
  const records = await recordsIn<ConsoleSessionRecord | ShadowAuditRecord>(keys.auditPartition(tenantId, day));
  return records.filter((record): record is ShadowAuditRecord => 'event' in record);
}
