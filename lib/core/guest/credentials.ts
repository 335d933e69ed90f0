import { config } from '../../config.js';
import type { GuestCredentials, WorkPayload } from '../../protocol/agent.js';
import * as store from '../../store/index.js';
import { isoNow, nowSeconds } from '../clock.js';
import { ResourceBusy, Unauthenticated } from '../errors.js';
import type { AgentRecord, GuestAuthRecord, LoginFailuresRecord } from '../../records.js';
import { hashPassword, verifyPassword } from '../../protocol/secrets.js';
import { isLockedOut, reserveAttempt } from '../sessions.js';
import { userNameHashOf } from './guest-user.js';
import type { AgentAnswer } from './handoff.js';
import type { RunningAgent } from './tools.js';
import { runOnAgent } from './work.js';

/**
 * Guest credentials: the agent decides; what it accepted is remembered briefly, as a verifier (never the
 * password), and refusals count towards a lockout per VM and guest user name.
 */

/** Verifiers live minutes and are checked on a request path: a quarter of the login cost (N=2^12). */
const GUEST_VERIFIER_COST = 4096;

export { userNameHashOf };

/**
 * Accepts credentials the agent accepted lately (same user, same password, same agent enrolment);
 * otherwise asks the agent, which decides. @returns whether the agent was asked.
 */
export async function authenticateGuest(
  agent: RunningAgent,
  auth: GuestAuthRecord | undefined,
  failures: LoginFailuresRecord | undefined,
  credentials: GuestCredentials,
): Promise<boolean> {
  if (isLockedOut(failures)) throw guestLocked();
  // Not while guesses of this user are failed or under way: a burst's right password then waits its turn
  // through the reservation like the rest, so the lockout they earn holds for it too.
  const quiet = failures === undefined || (failures.failures === 0 && (failures.attempts ?? 0) === 0);
  const remembered =
    quiet &&
    config.guestAuthCacheSeconds() > 0 &&
    auth !== undefined &&
    credentials.type === 'USERNAME_PASSWORD' &&
    credentials.password !== undefined &&
    auth.agentCredentialHash === agent.credentialHash &&
    (await verifyPassword(credentials.password, auth.verifier));
  if (remembered) return false;
  await runCheckingCredentials(agent, failures, { operation: 'authenticate', credentials });
  await rememberGuestAuth(agent, credentials);
  return true;
}

/**
 * Remembers credentials the agent just accepted. A verifier of this enrolment with more than half its
 * lifetime left is kept as it is (one write fewer per operation; a verifier is never extended by skipping).
 */
export async function rememberGuestAuth(agent: AgentRecord, credentials: GuestCredentials, known?: GuestAuthRecord): Promise<void> {
  const seconds = config.guestAuthCacheSeconds();
  if (!seconds || credentials.type !== 'USERNAME_PASSWORD' || credentials.password === undefined) return;
  if (known && known.agentCredentialHash === agent.credentialHash && known.expiresAt - nowSeconds() > seconds / 2) return;
  await store.putGuestAuth({
    tenantId: agent.tenantId,
    moId: agent.moId,
    userNameHash: userNameHashOf(credentials),
    verifier: await hashPassword(credentials.password, GUEST_VERIFIER_COST),
    agentCredentialHash: agent.credentialHash,
    acceptedAt: isoNow(),
    expiresAt: nowSeconds() + seconds,
  });
}

const guestLocked = () =>
  Unauthenticated('The guest account is temporarily locked after repeated failed authentications; try again later.');
const guestBusy = () => ResourceBusy('Too many authentications of this guest user are under way; retry later.', { retryAfterSeconds: 1 });

/**
 * Runs an operation whose guest credentials the agent checks, under the login lockout's policy per VM and
 * guest user name: each check is reserved before the agent gets the work (so a burst of guesses gets at most
 * the policy's number of checks), each refusal counts as a failed login whenever the agent reports it (see
 * `reportWorkResult`), and a locked name is refused before the agent is asked, so guessing costs the
 * guesser the lockout, not the guest one more check.
 */
export async function runCheckingCredentials(
  agent: RunningAgent,
  failures: LoginFailuresRecord | undefined,
  payload: WorkPayload,
): Promise<AgentAnswer> {
  if (isLockedOut(failures)) throw guestLocked();
  const counter = store.guestFailuresOf(agent.tenantId, agent.moId, userNameHashOf(payload.credentials));
  await reserveAttempt(counter, { locked: guestLocked, busy: guestBusy });
  // Withdrawn before the agent took it up: no password was checked, the reservation goes back.
  const result = await runOnAgent(agent, payload, { withdrawn: () => store.releaseAttempt(counter) });
  // Accepted: failures in the window are forgotten (a counter of nothing but given-back checks is left to expire).
  if (failures && failures.failures > 0) await store.clearFailures(counter, failures);
  return result;
}
