import type {
  AgentRecord,
  ConsoleRecord,
  ConsoleSessionRecord,
  GuestAuthRecord,
  GuestProcessRecord,
  GuestWorkItem,
  GuestWorkResultRecord,
  LoginFailuresRecord,
  PrincipalRecord,
  SessionRecord,
  TenantRecord,
  TicketRecord,
  VmRecord,
} from '../records.js';

/**
 * Every key of the single table. Nothing outside lib/store knows these prefixes.
 *
 * Layout (pk / sk):
 *   TENANT#<t> / PROFILE              tenant              gsi1: TENANTS / <t>
 *   TENANT#<t> / USER#<userName>      principal
 *   TENANT#<t> / LOGINFAILURES#<userName>   failed logins of a user name (TTL: window or lockout)
 *   TENANT#<t> / LOGINFAILURES#GUEST#<moId>#<sha256(user)>   failed guest authentications, counted alike
 *   TENANT#<t> / VM#<moId>            virtual machine     gsi1: TENANT#<t>#VMUUID#<uuid> / VM
 *   TENANT#<t> / SESSION#<sha256>     session (TTL)
 *   TENANT#<t> / TICKET#<sha256>      console ticket (TTL)
 *   TENANT#<t> / CONSOLE#<uuid>       Nova legacy (os-consoles) console of a server
 *   TENANT#<t> / COUNTER#CONSOLE      the tenant's next legacy console id
 *   TENANT#<t> / AUDIT#CONSOLE#<startedAt>#<sessionId>   console session audit record (TTL: retention)
 *   TENANT#<t> / AGENT#<moId>                      guest agent enrolment (credential hash, public key, heartbeat)
 *   TENANT#<t> / GUESTWORK#<moId>#<workId>         guest operation awaiting its agent (TTL: wait bound)
 *   TENANT#<t> / GUESTRESULT#<moId>#<workId>       the agent's answer to it (TTL: wait bound)
 *   TENANT#<t> / PROCESS#<moId>#<pid>              guest process (TTL once finished: end time + 300 s)
 *   TENANT#<t> / GUESTAUTH#<moId>#<sha256(user)>   verifier of guest credentials the agent accepted (TTL)
 *   TENANT#<t> / DRAIN#LEASE                       which run of a deleted tenant's drain job holds it (TTL)
 * Every key starts with the tenant: two tenants may both own `vm-42`, and no key of one is reachable from
 * another's credentials.
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

const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;

export const SK = {
  profile: 'PROFILE',
  userPrefix: 'USER#',
  vmPrefix: 'VM#',
  sessionPrefix: 'SESSION#',
  ticketPrefix: 'TICKET#',
  consolePrefix: 'CONSOLE#',
  consoleCounter: 'COUNTER#CONSOLE',
  consoleAuditPrefix: 'AUDIT#CONSOLE#',
  agentPrefix: 'AGENT#',
  guestWorkPrefix: 'GUESTWORK#',
  guestResultPrefix: 'GUESTRESULT#',
  processPrefix: 'PROCESS#',
  guestAuthPrefix: 'GUESTAUTH#',
  loginFailuresPrefix: 'LOGINFAILURES#',
  drainLease: 'DRAIN#LEASE',
} as const;

export const keys = {
  tenant: (tenantId: string): Key<TenantRecord> => ({ pk: tenantPk(tenantId), sk: SK.profile }),
  principal: (tenantId: string, userName: string): Key<PrincipalRecord> => ({ pk: tenantPk(tenantId), sk: SK.userPrefix + userName }),
  /** Recent failed logins of a user name, known or not (TTL: the failure window, or the lockout). */
  loginFailures: (tenantId: string, userName: string): Key<LoginFailuresRecord> => ({
    pk: tenantPk(tenantId),
    sk: SK.loginFailuresPrefix + userName,
  }),
  /**
   * The name failed guest authentications of one VM and guest user are counted under, by the login lockout's
   * own code; no login user name contains '#', so none can take it.
   */
  guestLoginFailuresName: (moId: string, userNameHash: string): string => `GUEST#${moId}#${userNameHash}`,
  vm: (tenantId: string, moId: string): Key<VmRecord> => ({ pk: tenantPk(tenantId), sk: SK.vmPrefix + moId }),
  session: (tenantId: string, hash: string): Key<SessionRecord> => ({ pk: tenantPk(tenantId), sk: SK.sessionPrefix + hash }),
  ticket: (tenantId: string, hash: string): Key<TicketRecord> => ({ pk: tenantPk(tenantId), sk: SK.ticketPrefix + hash }),
  /** One legacy console per server, as Nova's console manager kept one per instance and pool. */
  console: (tenantId: string, instanceUuid: string): Key<ConsoleRecord> => ({
    pk: tenantPk(tenantId),
    sk: SK.consolePrefix + instanceUuid.toLowerCase(),
  }),
  consoleCounter: (tenantId: string): Key<{ value: number }> => ({ pk: tenantPk(tenantId), sk: SK.consoleCounter }),
  /** Sorted by start time, so a tenant's console sessions read back in order. */
  consoleAudit: (tenantId: string, startedAt: string, sessionId: string): Key<ConsoleSessionRecord> => ({
    pk: tenantPk(tenantId),
    sk: `${SK.consoleAuditPrefix}${startedAt}#${sessionId}`,
  }),
  agent: (tenantId: string, moId: string): Key<AgentRecord> => ({ pk: tenantPk(tenantId), sk: SK.agentPrefix + moId }),
  /** Work ids sort by creation time, so an agent claims the oldest first. */
  guestWork: (tenantId: string, moId: string, workId: string): Key<GuestWorkItem> => ({
    pk: tenantPk(tenantId),
    sk: `${SK.guestWorkPrefix}${moId}#${workId}`,
  }),
  guestWorkOf: (moId: string) => `${SK.guestWorkPrefix}${moId}#`,
  guestResult: (tenantId: string, moId: string, workId: string): Key<GuestWorkResultRecord> => ({
    pk: tenantPk(tenantId),
    sk: `${SK.guestResultPrefix}${moId}#${workId}`,
  }),
  guestResultsOf: (moId: string) => `${SK.guestResultPrefix}${moId}#`,
  process: (tenantId: string, moId: string, pid: number): Key<GuestProcessRecord> => ({
    pk: tenantPk(tenantId),
    sk: `${SK.processPrefix}${moId}#${pid}`,
  }),
  processesOf: (moId: string) => `${SK.processPrefix}${moId}#`,
  /** Guest credentials the VM's agent accepted lately, as a verifier (TTL: a few minutes). */
  guestAuth: (tenantId: string, moId: string, userNameHash: string): Key<GuestAuthRecord> => ({
    pk: tenantPk(tenantId),
    sk: `${SK.guestAuthPrefix}${moId}#${userNameHash}`,
  }),
  guestAuthsOf: (moId: string) => `${SK.guestAuthPrefix}${moId}#`,
  tenantPartition: tenantPk,
  /** The lease of a deleted tenant's drain job, so that one chain of runs drains it at a time. */
  tenantDrainLease: (tenantId: string): Key<{ tenantId: string; chain: string; expiresAt: number }> => ({ pk: tenantPk(tenantId), sk: SK.drainLease }),
};

export const gsi1 = {
  name: 'gsi1',
  tenants: (tenantId: string) => ({ gsi1pk: 'TENANTS', gsi1sk: tenantId }),
  vmByUuid: (tenantId: string, instanceUuid: string) => ({
    gsi1pk: `${tenantPk(tenantId)}#VMUUID#${instanceUuid.toLowerCase()}`,
    gsi1sk: 'VM',
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
