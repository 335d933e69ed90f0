import { config } from '../../config.js';
import type { GuestCredentials, WorkPayload } from '../../protocol/agent.js';
import * as store from '../../store/index.js';
import { isoNow, nowSeconds } from '../clock.js';
import { isDomainError, Unauthenticated } from '../errors.js';
import type { AgentRecord, GuestAuthRecord, LoginFailuresRecord } from '../../records.js';
import { hashPassword, sha256Hex, verifyPassword } from '../../protocol/secrets.js';
import { countFailure, isLockedOut } from '../sessions.js';
import type { AgentAnswer } from './handoff.js';
import type { RunningAgent } from './tools.js';
import { runOnAgent } from './work.js';

/**
 * Guest credentials: the agent decides; what it accepted is remembered briefly, as a verifier (never the
 * password), and refusals count towards a lockout per VM and guest user name.
 */

/** Verifiers live minutes and are checked on a request path: a quarter of the login cost (N=2^12). */
const GUEST_VERIFIER_COST = 4096;

export const userNameHashOf = (credentials: GuestCredentials) => sha256Hex(`${credentials.type}:${credentials.userName ?? ''}`);

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
  const remembered =
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

/**
 * Runs an operation whose guest credentials the agent checks, under the login lockout's policy per VM and
 * guest user name: each refusal counts as a failed login, and a locked name is refused before the agent is
 * asked, so guessing costs the guesser the lockout, not the guest one more check.
 */
export async function runCheckingCredentials(
  agent: RunningAgent,
  failures: LoginFailuresRecord | undefined,
  payload: WorkPayload,
): Promise<AgentAnswer> {
  if (isLockedOut(failures)) throw guestLocked();
  const counter = store.guestFailuresOf(agent.tenantId, agent.moId, userNameHashOf(payload.credentials));
  let result: AgentAnswer;
  try {
    result = await runOnAgent(agent, payload);
  } catch (error) {
    if (isDomainError(error) && error.kind === 'unauthenticated') await countFailure(counter);
    throw error;
  }
  if (failures) await store.clearFailures(counter, failures);
  return result;
}
