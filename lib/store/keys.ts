import type {
  AgentRecord,
  ConsoleRecord,
  ConsoleSessionRecord,
  GuestAuthRecord,
  GuestProcessRecord,
  GuestWorkItem,
  GuestWorkResultRecord,
  OpenConsoleRecord,
  AuditEventRecord,
  PlaybackTokenRecord,
  RecordingRecord,
  LoginFailuresRecord,
  PrincipalRecord,
  SessionRecord,
  TenantRecord,
  TicketPointerRecord,
  TicketRecord,
  VmRecord,
} from '../records.js';
import { scopeKey } from '../protocol/secrets.js';

/**
 * Every key of the single table, the one place its layout is written (the README links here). Nothing
 * outside lib/store knows these prefixes (test/unit/imports.test.ts).
 *
 * | pk                           | sk                           | item (TTL)                                          |
 * | ---------------------------- | ---------------------------- | --------------------------------------------------- |
 * | TENANT#<t>                   | PROFILE                      | tenant; `deletingSince` refuses it (gsi1 TENANTS/<t>) |
 * | TENANT#<t>                   | USER#<userName>              | principal                                           |
 * | TENANT#<t>                   | VM#<moId>                    | VM (gsi1 by instance UUID, gsi2 by name)            |
 * | TENANT#<t>                   | CONSOLE#<uuid>               | Nova legacy (os-consoles) console of a server       |
 * | TENANT#<t>                   | COUNTER#CONSOLE              | the tenant's next legacy console id                 |
 * | TENANT#<t>                   | DRAIN#LEASE                  | the deleted tenant's drain job lease (TTL)          |
 * | LOGIN#<t>#<userName>         | FAILURES                     | failed logins of a name, known or not (TTL)         |
 * | SESSION#<t>#<userKey>        | SESSION#<sha256>             | session (TTL)                                       |
 * | SESSION#<t>#<userKey>        | TICKET#<vmKey>#<sha256>      | pointer to a ticket issued to the user (same TTL)   |
 * | TICKET#<t>#<vmKey>           | <sha256>                     | console ticket, Nova console token (TTL)            |
 * | GUEST#<t>#<moId>             | AGENT                        | guest agent enrolment and connection                |
 * | GUEST#<t>#<moId>             | WORK#<workId>, RESULT#<workId> | guest work and the agent's answer (TTL)           |
 * | GUEST#<t>#<moId>             | PROCESS#<pid>                | guest process (TTL once finished)                   |
 * | GUEST#<t>#<moId>             | AUTH#<sha256(user)>, FAILURES#<sha256(user)> | guest credentials accepted lately, failures (TTL) |
 * | AUDIT#<t>#<yyyy-mm-dd>       | <startedAt>#<sessionId>      | console session audit record, by start day (TTL)    |
 * | AUDIT#<t>#<yyyy-mm-dd>       | EVENT#<at>#<subject>#<event>[#<token fingerprint>] | audit entry (TTL): recording started / stopped / played (subject: the recording), shadow started / ended (the shadow's session) |
 * | OPEN#<t>#<moId>              | <sessionId>                  | open console session (TTL: heartbeat); gsi1 OPEN#<t>#USER#<userKey> (per user), gsi2 OPEN#<t> (per tenant) |
 * | PROXIES                      | <connectionId>               | a console proxy's order channel (WebSocket connection; TTL) |
 * | RECORDING#<t>#<moId>         | <recordingId>                | recording manifest (TTL: retention); gsi1 RECORDING#<t>#USER#<userKey> (per user), gsi2 RECORDING#<t> (per tenant, by id) |
 * | PLAYBACK#<t>#<recordingKey>  | <sha256>                     | one-time playback token of a recording (TTL)        |
 *
 * userKey and vmKey are `scopeKey` (lib/protocol/secrets.ts) of the user name and the moId, carried in the
 * clear by session ids and tickets. Why this partitioning: a partition key serves at most 3,000 reads and
 * 1,000 writes a second, so only operator-paced inventory shares `TENANT#<t>`; what grows with users, VMs or
 * days is keyed by them, and each partition is a unit of revocation (one exact Query deletes it).
 */
/** The record an item under the key holds, for the type checker only: a read of `keys.vm(…)` is a `VmRecord`. */
declare const holds: unique symbol;

export interface Key<T = unknown> {
  pk: string;
  sk: string;
  readonly [holds]?: T;
}

/** The record type a key's item holds. */
export type RecordAt<K> = K extends Key<infer T> ? T : never;

/** The partitions, each `<prefix><tenant>` (then `#<what>` for all but the tenant's own). */
export const PK = {
  tenant: 'TENANT#',
  login: 'LOGIN#',
  session: 'SESSION#',
  ticket: 'TICKET#',
  guest: 'GUEST#',
  audit: 'AUDIT#',
  openConsole: 'OPEN#',
  proxies: 'PROXIES',
  recording: 'RECORDING#',
  playback: 'PLAYBACK#',
} as const;

export const SK = {
  profile: 'PROFILE',
  userPrefix: 'USER#',
  vmPrefix: 'VM#',
  consolePrefix: 'CONSOLE#',
  consoleCounter: 'COUNTER#CONSOLE',
  loginFailures: 'FAILURES',
  sessionPrefix: 'SESSION#',
  ticketPointerPrefix: 'TICKET#',
  agent: 'AGENT',
  guestWorkPrefix: 'WORK#',
  guestResultPrefix: 'RESULT#',
  processPrefix: 'PROCESS#',
  guestAuthPrefix: 'AUTH#',
  guestFailuresPrefix: 'FAILURES#',
  drainLease: 'DRAIN#LEASE',
  auditEventPrefix: 'EVENT#',
} as const;

const tenantPk = (tenantId: string) => PK.tenant + tenantId;
const loginPk = (tenantId: string, userName: string) => `${PK.login}${tenantId}#${userName}`;
const sessionPk = (tenantId: string, userKey: string) => `${PK.session}${tenantId}#${userKey}`;
const ticketPk = (tenantId: string, vmKey: string) => `${PK.ticket}${tenantId}#${vmKey}`;
const guestPk = (tenantId: string, moId: string) => `${PK.guest}${tenantId}#${moId}`;
const openConsolePk = (tenantId: string, moId: string) => `${PK.openConsole}${tenantId}#${moId}`;
const auditPk = (tenantId: string, day: string) => `${PK.audit}${tenantId}#${day}`;
const recordingPk = (tenantId: string, moId: string) => `${PK.recording}${tenantId}#${moId}`;
const playbackPk = (tenantId: string, recordingKey: string) => `${PK.playback}${tenantId}#${recordingKey}`;

/** What names an audit entry: its tenant, time and event, and its subject (a recording, or a shadow's session). */
type AuditEventIdentity = { tenantId: string; at: string; event: string } & ({ recordingId: string; tokenFingerprint?: string } | { shadowSessionId: string });

/** The UTC day (`yyyy-mm-dd`) an ISO timestamp falls on: the audit partition of a session started then. */
export const dayOf = (isoTimestamp: string): string => new Date(Date.parse(isoTimestamp)).toISOString().slice(0, 10);

export const keys = {
  tenant: (tenantId: string): Key<TenantRecord> => ({ pk: tenantPk(tenantId), sk: SK.profile }),
  principal: (tenantId: string, userName: string): Key<PrincipalRecord> => ({ pk: tenantPk(tenantId), sk: SK.userPrefix + userName }),
  vm: (tenantId: string, moId: string): Key<VmRecord> => ({ pk: tenantPk(tenantId), sk: SK.vmPrefix + moId }),
  /** One legacy console per server, as Nova's console manager kept one per instance and pool. */
  console: (tenantId: string, instanceUuid: string): Key<ConsoleRecord> => ({
    pk: tenantPk(tenantId),
    sk: SK.consolePrefix + instanceUuid.toLowerCase(),
  }),
  consoleCounter: (tenantId: string): Key<{ value: number }> => ({ pk: tenantPk(tenantId), sk: SK.consoleCounter }),
  /** Recent failed logins of a user name, known or not (TTL: the failure window, or the lockout). */
  loginFailures: (tenantId: string, userName: string): Key<LoginFailuresRecord> => ({
    pk: loginPk(tenantId, userName),
    sk: SK.loginFailures,
  }),
  session: (tenantId: string, userKey: string, hash: string): Key<SessionRecord> => ({
    pk: sessionPk(tenantId, userKey),
    sk: SK.sessionPrefix + hash,
  }),
  /** Beside the user's sessions, where its tickets are: revoking the user finds them without a search. */
  ticketPointer: (tenantId: string, userKey: string, vmKey: string, hash: string): Key<TicketPointerRecord> => ({
    pk: sessionPk(tenantId, userKey),
    sk: `${SK.ticketPointerPrefix}${vmKey}#${hash}`,
  }),
  ticket: (tenantId: string, vmKey: string, hash: string): Key<TicketRecord> => ({ pk: ticketPk(tenantId, vmKey), sk: hash }),
  agent: (tenantId: string, moId: string): Key<AgentRecord> => ({ pk: guestPk(tenantId, moId), sk: SK.agent }),
  /** Work ids sort by creation time, so an agent claims the oldest first. */
  guestWork: (tenantId: string, moId: string, workId: string): Key<GuestWorkItem> => ({
    pk: guestPk(tenantId, moId),
    sk: SK.guestWorkPrefix + workId,
  }),
  guestResult: (tenantId: string, moId: string, workId: string): Key<GuestWorkResultRecord> => ({
    pk: guestPk(tenantId, moId),
    sk: SK.guestResultPrefix + workId,
  }),
  process: (tenantId: string, moId: string, pid: number): Key<GuestProcessRecord> => ({
    pk: guestPk(tenantId, moId),
    sk: SK.processPrefix + pid,
  }),
  /** Guest credentials the VM's agent accepted lately, as a verifier (TTL: a few minutes). */
  guestAuth: (tenantId: string, moId: string, userNameHash: string): Key<GuestAuthRecord> => ({
    pk: guestPk(tenantId, moId),
    sk: SK.guestAuthPrefix + userNameHash,
  }),
  /** Failed authentications of one guest user of the VM, counted by the login lockout's own code. */
  guestFailures: (tenantId: string, moId: string, userNameHash: string): Key<LoginFailuresRecord> => ({
    pk: guestPk(tenantId, moId),
    sk: SK.guestFailuresPrefix + userNameHash,
  }),
  /** Sorted by start time within the day, so a day's console sessions read back in order. */
  consoleAudit: (tenantId: string, startedAt: string, sessionId: string): Key<ConsoleSessionRecord> => ({
    pk: auditPk(tenantId, dayOf(startedAt)),
    sk: `${startedAt}#${sessionId}`,
  }),
  /** An open console, under its VM: a VM's consoles are one exact query, and its limit one count. */
  openConsole: (tenantId: string, moId: string, sessionId: string): Key<OpenConsoleRecord> => ({
    pk: openConsolePk(tenantId, moId),
    sk: sessionId,
  }),
  openConsolePartition: openConsolePk,
  /** A console proxy's connection to the WebSocket API, over which orders to end consoles are pushed. */
  proxyConnection: (connectionId: string): Key<{ connectionId: string; connectedAt: string; expiresAt: number }> => ({
    pk: PK.proxies,
    sk: connectionId,
  }),
  proxiesPartition: PK.proxies,
  /**
   * A recording's manifest, under its VM. Recording ids are time-ordered UUIDs (version 7), so a VM's
   * recordings read newest first by a descending query of its partition.
   */
  recording: (tenantId: string, moId: string, recordingId: string): Key<RecordingRecord> => ({ pk: recordingPk(tenantId, moId), sk: recordingId }),
  recordingPartition: recordingPk,
  /** A one-time playback token, under the recording it plays (`recordingKey`: `scopeKey` of its id, in the token). */
  playbackToken: (tenantId: string, recordingKey: string, hash: string): Key<PlaybackTokenRecord> => ({ pk: playbackPk(tenantId, recordingKey), sk: hash }),
  /**
   * An audit entry, under the day it happened, beside the day's console session records, sorted by time. The
   * key is the entry's own (its subject, its event, a playback's token), so a retried write finds it there.
   */
  auditEvent: (entry: AuditEventIdentity): Key<AuditEventRecord> => ({
    pk: auditPk(entry.tenantId, dayOf(entry.at)),
    sk: `${SK.auditEventPrefix}${entry.at}#${'recordingId' in entry ? entry.recordingId : entry.shadowSessionId}#${entry.event}${
      'tokenFingerprint' in entry && entry.tokenFingerprint ? `#${entry.tokenFingerprint}` : ''
    }`,
  }),
  tenantPartition: tenantPk,
  /** The lease of a deleted tenant's drain job, so that one chain of runs drains it at a time. */
  tenantDrainLease: (tenantId: string): Key<{ tenantId: string; chain: string; expiresAt: number; auditDoneBefore?: string }> => ({ pk: tenantPk(tenantId), sk: SK.drainLease }),
  loginPartition: loginPk,
  /** A user's sessions and pointers to its tickets. */
  userPartition: (tenantId: string, userName: string) => sessionPk(tenantId, scopeKey(userName)),
  /** A VM's tickets. */
  ticketPartition: (tenantId: string, moId: string) => ticketPk(tenantId, scopeKey(moId)),
  /** Everything of a VM's guest: agent, work, results, processes, verifiers, failure counters. */
  guestPartition: guestPk,
  auditPartition: auditPk,
  /** The ticket a pointer (an item of a user partition under `SK.ticketPointerPrefix`) points at. */
  ticketOfPointer: (tenantId: string, pointerSk: string): Key<TicketRecord> => {
    const [vmKey, hash] = pointerSk.slice(SK.ticketPointerPrefix.length).split('#') as [string, string];
    return keys.ticket(tenantId, vmKey, hash);
  },
  /** The tenant whose partition `pk` is (every partition key holds its tenant, up to the next '#'). */
  tenantOf: (pk: string): string | undefined => pk.split('#')[1],
};

export const gsi1 = {
  name: 'gsi1',
  tenants: (tenantId: string) => ({ gsi1pk: 'TENANTS', gsi1sk: tenantId }),
  vmByUuid: (tenantId: string, instanceUuid: string) => ({
    gsi1pk: `${tenantPk(tenantId)}#VMUUID#${instanceUuid.toLowerCase()}`,
    gsi1sk: 'VM',
  }),
  /** A user's open consoles (the user pointer: ending a user's consoles, its concurrency cap). */
  openConsolesOfUser: (tenantId: string, userName: string, sessionId = '') => ({
    gsi1pk: `${PK.openConsole}${tenantId}#USER#${scopeKey(userName)}`,
    gsi1sk: sessionId,
  }),
  /** A user's recordings, newest first (ids are time-ordered). */
  recordingsOfUser: (tenantId: string, userName: string, recordingId = '') => ({
    gsi1pk: `${PK.recording}${tenantId}#USER#${scopeKey(userName)}`,
    gsi1sk: recordingId,
  }),
};

/**
 * The second index: VMs by name (gsi2, projection ALL). Nova's find-by-name (`GET /servers?name=<name>`, what
 * the OpenStack clients send before every console) reads this one small partition, whatever the tenant's
 * size; names are not unique, so the sort key (the moId) orders duplicates.
 */
export const gsi2 = {
  name: 'gsi2',
  vmByName: (tenantId: string, name: string, moId: string) => ({
    gsi2pk: `${tenantPk(tenantId)}#VMNAME#${name}`,
    gsi2sk: moId,
  }),
  /** A tenant's open consoles, at most its cap of them: listing them, its concurrency cap, finding one by id. */
  openConsolesOfTenant: (tenantId: string, sessionId = '') => ({ gsi2pk: `${PK.openConsole}${tenantId}`, gsi2sk: sessionId }),
  /** A tenant's recordings by id: finding one by its id alone (a playback link), a tenant's drain. */
  recordingsOfTenant: (tenantId: string, recordingId = '') => ({ gsi2pk: `${PK.recording}${tenantId}`, gsi2sk: recordingId }),
};

/**
 * Whether DynamoDB can hold an item under `key` (partition key ≤ 2048 bytes, sort key ≤ 1024). A lookup of a
 * key that cannot fit finds nothing; sending it would make DynamoDB refuse the whole call.
 */
export const keyFits = (key: Key): boolean =>
  Buffer.byteLength(key.pk, 'utf8') <= 2048 && Buffer.byteLength(key.sk, 'utf8') <= 1024;

/** Strips the table's own attributes from an item, leaving the record. */
export function recordOf<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, gsi2pk: _n1, gsi2sk: _n2, ...record } = item;
  return record as T;
}
