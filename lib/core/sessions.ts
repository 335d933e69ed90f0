import { config } from '../config.js';
import * as Metrics from '../metrics.js';
import * as store from '../store/index.js';
import { isoNow, nowSeconds } from './clock.js';
import { DomainError, Unauthenticated, UnavailableBecause } from './errors.js';
import { logger } from '../log.js';
import { isServing } from './serving.js';
import {
  InstanceUuidSchema,
  MoIdSchema,
  tenantOfUserName,
  UserNameSchema,
} from './model.js';
import { DUMMY_PASSWORD_HASH, issueSecret, parseSecret, scopeKey, verifyPassword, type IssuedSecret } from '../protocol/secrets.js';
import type { LoginFailuresRecord, SessionRecord, TenantRecord, VmRecord } from '../records.js';

export interface LoginResult {
  /** The session id, handed to the client once; only its hash is stored. */
  sessionId: string;
  session: SessionRecord;
}


const loginRefused = (message = 'Cannot complete login due to an incorrect user name or password.') =>
  Unauthenticated(message, { reason: 'invalid_login' });

/**
 * Password login, shared by every dialect (vCenter Basic, vim25 Login, Keystone password auth). As vCenter
 * SSO does, too many failures within a window lock the user name for a while. Failures are counted for every
 * user name, known or not, so neither the answer nor the lockout tells which users exist.
 */
export async function login(userName: string, password: string): Promise<LoginResult> {
  if (!UserNameSchema.safeParse(userName).success) {
    await verifyPassword(password, DUMMY_PASSWORD_HASH); // the same time as a real refusal
    Metrics.loginFailed();
    throw loginRefused();
  }
  const tenantId = tenantOfUserName(userName);
  const counter = store.loginFailuresOf(tenantId, userName);
  // The check is reserved alongside the read, so the lockout costs no latency.
  const [found, reserved] = await Promise.all([
    store.getPrincipalAndTenant(tenantId, userName),
    reserveAttempt(counter, {
      locked: () => {
        Metrics.loginFailed(); // refused for the lock: a failed login too
        return loginLocked();
      },
      busy: loginBusy,
    }),
  ]);
  // A tenant absent or being deleted has no users: the same refusal as an unknown user name.
  const principal = isServing(found.tenant) ? found.principal : undefined;
  // Verify against a dummy hash when the user is unknown, so timing does not tell which users exist.
  const passwordMatches = await verifyPassword(password, principal?.passwordHash ?? DUMMY_PASSWORD_HASH);
  // The audit trail of password checks, as vCenter's UserLoginSessionEvent / BadUsernameSessionEvent.
  logger.info('login password checked', { tenant: tenantId, user: userName, accepted: Boolean(principal && passwordMatches) });
  if (!principal || !passwordMatches) {
    if (await countFailure(counter)) Metrics.loginLocked();
    Metrics.loginFailed();
    throw loginRefused();
  }
  const secret = issueSecret(principal.tenantId, scopeKey(principal.userName));
  const now = isoNow();
  const session: SessionRecord = {
    tenantId: principal.tenantId,
    sessionHash: secret.hash,
    userName: principal.userName,
    privileges: principal.privileges,
    createdAt: now,
    lastAccessedAt: now,
    expiresAt: nowSeconds() + config.sessionIdleSeconds(),
  };
  await Promise.all([store.putSession(session), acceptedAttempt(counter, reserved)]);
  // The operator may have changed or deleted the user (or begun deleting the tenant) while the password was
  // being checked, and ended its sessions before this one was written: read both again (each put hashes
  // with a fresh salt).
  const current = await store.getPrincipalAndTenant(tenantId, userName);
  if (!isServing(current.tenant) || current.principal?.passwordHash !== principal.passwordHash) {
    await store.deleteSession(refOf(secret));
    throw loginRefused();
  }
  return { sessionId: secret.value, session };
}

const refOf = (secret: IssuedSecret): store.SessionRef => ({ tenantId: secret.tenantId, userKey: secret.scope, sessionHash: secret.hash });

const loginLocked = () => loginRefused('The account is temporarily locked after repeated failed logins; try again later.');
const loginBusy = () =>
  UnavailableBecause('Too many logins of this user name are being checked at once; try again in a moment.', { retryAfterSeconds: 1 });

/** Whether recent failures locked the name (the lockout policy below). */
export const isLockedOut = (failures: LoginFailuresRecord | undefined): boolean =>
  failures?.lockedUntil !== undefined && failures.lockedUntil > nowSeconds();

/**
 * Reserves one password check under `counter` (a login user name's, or a guest user's of one VM), so that
 * however many checks arrive at once, no more than `LOGIN_MAX_FAILURES` are failed or under way within the
 * window: a burst evaluates at most the policy's number of passwords before the lock. Refused with
 * `locked()` while the name is locked, with `busy()` (retryable) while every check is spoken for.
 */
export async function reserveAttempt(
  counter: store.FailureCounter,
  refusals: { locked: () => DomainError; busy: () => DomainError },
): Promise<LoginFailuresRecord> {
  const reservation = await store.reserveAttempt(counter, nowSeconds() + config.loginFailureWindowSeconds(), config.loginMaxFailures());
  if (reservation === 'locked') throw refusals.locked();
  if (reservation === 'busy') throw refusals.busy();
  return reservation.reserved;
}

/**
 * A reserved check whose password was accepted: the counter is cleared when nothing else happened to it
 * since the reservation, else only the reservation is given back (the failures others counted stay).
 */
export async function acceptedAttempt(counter: store.FailureCounter, reserved: LoginFailuresRecord): Promise<void> {
  if (!(await store.clearFailures(counter, reserved))) await store.releaseAttempt(counter);
}

/**
 * Counts one failure under `counter` (a login user name's, or a guest user's of one VM);
 * `LOGIN_MAX_FAILURES` within `LOGIN_FAILURE_WINDOW_SECONDS` lock it for `LOGIN_LOCKOUT_SECONDS`. True when
 * this failure began a lockout.
 */
export async function countFailure(counter: store.FailureCounter): Promise<boolean> {
  const now = nowSeconds();
  const counted = await store.countFailure(counter, now + config.loginFailureWindowSeconds());
  if (counted.failures < config.loginMaxFailures() || counted.lockedUntil !== undefined) return false;
  await store.lockFailures(counter, counted, now + config.loginLockoutSeconds());
  return true;
}

/** The VM a request is about, by vSphere managed object id or by instance UUID (Nova's server id). */
export type VmRef = { moId: string } | { instanceUuid: string };

/**
 * The hot path: the session and the VM named in the request together. By moId both come from one
 * BatchGetItem; by instance UUID the session read and the index query run side by side. A reference that
 * cannot name a VM is not looked up at all (the VM is then simply absent).
 */
export async function authenticateWithVm(
  sessionId: string | undefined,
  ref?: VmRef,
): Promise<{ session: SessionRecord; vm?: VmRecord }> {
  const secret = parseSecret(sessionId);
  if (!secret) throw Unauthenticated();
  const session = refOf(secret);
  if (ref && 'moId' in ref && MoIdSchema.safeParse(ref.moId).success) {
    const found = await store.getSessionAndVm(session, ref.moId);
    return { session: await keepAlive(found), vm: found.vm };
  }
  if (ref && 'instanceUuid' in ref && InstanceUuidSchema.safeParse(ref.instanceUuid).success) {
    const [found, vm] = await Promise.all([store.getSessionAndVm(session), store.getVmByUuid(secret.tenantId, ref.instanceUuid)]);
    return { session: await keepAlive(found), vm };
  }
  return { session: await keepAlive(await store.getSessionAndVm(session)) };
}

const sessionRefused = () => Unauthenticated('The session is missing, expired or ended.');

/**
 * The tenant profile read together with an authenticated session (same BatchGetItem), for what the request
 * needs of it later (the console policy at ticket issue) without a second read.
 */
const tenantsReadWith = new WeakMap<SessionRecord, TenantRecord>();
export const tenantReadWith = (session: SessionRecord): TenantRecord | undefined => tenantsReadWith.get(session);

/**
 * A live session of a tenant that is serving, its idle deadline refreshed only when less than half of the
 * window remains: one write per half-window, not one per call.
 */
function withTenant(session: SessionRecord, tenant: TenantRecord | undefined): SessionRecord {
  if (tenant) tenantsReadWith.set(session, tenant);
  return session;
}

async function keepAlive(found: { tenant?: TenantRecord; session?: SessionRecord }): Promise<SessionRecord> {
  const { session } = found;
  if (!session || !isServing(found.tenant)) throw sessionRefused();
  const idle = config.sessionIdleSeconds();
  if (session.expiresAt - nowSeconds() >= idle / 2) return withTenant(session, found.tenant);
  const refreshed = { ...session, expiresAt: nowSeconds() + idle, lastAccessedAt: isoNow() };
  const alive = await store.touchSession(session, refreshed.expiresAt, refreshed.lastAccessedAt);
  if (!alive) throw sessionRefused();
  return withTenant(refreshed, found.tenant);
}

/**
 * A live session, for authenticating again with it (Keystone's `token` method): every session is already
 * scoped to its tenant, so scoping it again is the session itself, kept alive. A dead one is a refused login.
 */
export async function rescope(sessionId: string): Promise<SessionRecord> {
  try {
    return (await authenticateWithVm(sessionId)).session;
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'unauthenticated') throw loginRefused();
    throw error;
  }
}

/** Whether `sessionId` names a live session, read only: for telling a refused tenant why, never to let it in. */
export async function isLiveSession(sessionId: string | undefined): Promise<boolean> {
  const secret = parseSecret(sessionId);
  if (!secret) return false;
  const found = await store.getSessionAndVm(refOf(secret));
  return found.session !== undefined && isServing(found.tenant);
}

/** Ends a session. Unknown, ended and expired sessions are all refused the same way. */
export async function logout(sessionId: string | undefined): Promise<void> {
  const secret = parseSecret(sessionId);
  if (!secret || !(await store.deleteSession(refOf(secret)))) throw Unauthenticated();
}
