import type { AuditEventRecord, ConsoleSessionRecord } from '../records.js';
import { InvalidArgument } from '../core/errors.js';
import { live } from './expressions.js';
import { putItem, putItems } from './items.js';
import { dayOf, keys, recordOf, SK } from './keys.js';
import { queryPage, recordsIn, type Page, type PageRequest } from './paging.js';
import { partitionQueryRequest, putRequest } from './requests.js';

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

/** An audit entry (a recording's or a shadow's), beside the day's console session records; written once. */
export const auditEventPutRequest = (event: AuditEventRecord) => putRequest(keys.auditEvent(event), event, { ifAbsent: true });

/** Writes an audit entry; the same entry again (a retried report) is a no-op: `false`. */
export const putAuditEvent = (event: AuditEventRecord): Promise<boolean> => putItem(auditEventPutRequest(event));

/** Writes several audit entries (BatchWriteItem: each key is its own, so a repeat overwrites the same item). */
export const putAuditEvents = (events: AuditEventRecord[]): Promise<void> => putItems(events.map(auditEventPutRequest));

/** A tenant's audit entries (not console session records) of one UTC day (`yyyy-mm-dd`), in time order. */
export const listAuditEvents = (tenantId: string, day: string): Promise<AuditEventRecord[]> =>
  recordsIn<AuditEventRecord>(keys.auditPartition(tenantId, day), SK.auditEventPrefix);

type Shown<T> = T extends unknown ? Omit<T, 'expiresAt'> : never;
/** An item of a day's audit trail: a console session's record or an audit entry (with or without its expiry). */
export type AuditTrailItem = Shown<ConsoleSessionRecord> | Shown<AuditEventRecord>;

const isConsoleSession = (item: AuditTrailItem): item is Shown<ConsoleSessionRecord> => 'principal' in item;

/**
 * Where an item stands in its day's trail: its time, then console sessions before audit entries of the same
 * instant (a recording starts as its console does), then its sort key's rest. Pages of the trail restart
 * after a position (the operator's `next` cursor).
 */
export function auditTrailPosition(item: AuditTrailItem): string {
  if (isConsoleSession(item)) return `${item.startedAt}#0#${item.sessionId}`;
  const sk = keys.auditEvent(item).sk;
  return `${item.at}#1#${sk.slice(SK.auditEventPrefix.length + item.at.length + 1)}`;
}

/** Where the two queries of a trail page restart after `position`: the console sessions' and the entries' sort keys. */
function startKeysAfter(position: string): { sessions: string; events: string } {
  const [at, kind] = position.split('#', 2) as [string, string];
  const rest = position.slice(at.length + kind.length + 2);
  // '~' sorts after every session id: past a position among the entries, every session of that instant is read.
  return kind === '0'
    ? { sessions: `${at}#${rest}`, events: `${SK.auditEventPrefix}${at}` }
    : { sessions: `${at}#~`, events: `${SK.auditEventPrefix}${at}#${rest}` };
}

/**
 * A page of a tenant's audit trail of one UTC day (`yyyy-mm-dd`, the day `page.after` is on): its console
 * session records (by start) and its audit entries, merged in time order. Two Queries of the day's partition
 * (the sessions' sort keys are timestamps, the entries' start with `EVENT#`), at most `limit` + 1 items each.
 */
export async function pageAuditTrail(tenantId: string, day: string, page: PageRequest): Promise<Page<ConsoleSessionRecord | AuditEventRecord>> {
  const pk = keys.auditPartition(tenantId, day);
  const start = page.after === undefined ? undefined : startKeysAfter(page.after);
  const query = (prefix: string, after?: string) =>
    queryPage({ ...partitionQueryRequest(pk, prefix, { filter: live }), ...(after === undefined ? {} : { ExclusiveStartKey: { pk, sk: after } }) }, page.limit);
  const [sessions, events] = await Promise.all([query(day, start?.sessions), query(SK.auditEventPrefix, start?.events)]);
  const items = [...sessions.items, ...events.items]
    .map((item) => recordOf<ConsoleSessionRecord | AuditEventRecord>(item)!)
    .map((record) => ({ record, position: auditTrailPosition(record) }))
    // Byte order, as DynamoDB sorts keys (the positions are ASCII).
    .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0))
    .map(({ record }) => record);
  return { items: items.slice(0, page.limit), more: items.length > page.limit || sessions.more || events.more };
}
