/**
 * Login lockout, as vCenter SSO's default policy: 5 failures within 180 s lock the user name for 300 s.
 * This file runs in its own worker with that limit (the shared test environment raises it, since other files
 * fail logins of the demo users on purpose).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { advanceClock, resetClock } from '../../lib/core/clock.js';
import { countRoundTrips } from '../support/store-instrumentation.js';
import { api, basic } from '../support/api.js';
import { createLab } from '../support/lab.js';

process.env.LOGIN_MAX_FAILURES = '5';
process.env.LOGIN_FAILURE_WINDOW_SECONDS = '180';
process.env.LOGIN_LOCKOUT_SECONDS = '300';

const LOCKED = 'The account is temporarily locked after repeated failed logins; try again later.';
const WRONG = 'Cannot complete login due to an incorrect user name or password.';
let tenant: string;
let next = 0;

/** A fresh user of the lab tenant, so each test starts with no failures. */
async function newUser(): Promise<string> {
  const lab = await createLab('lk', 'Lockout lab');
  tenant = lab.tenant;
  const name = `user${(next += 1)}`;
  await lab.putUser(name, [], 'right-password');
  return `${name}@${tenant}`;
}

const login = (userName: string, password: string) => api('POST', '/api/session', { headers: basic(userName, password) });
const message = (response: { body: { messages: { default_message: string }[] } }) => response.body.messages[0]!.default_message;

beforeAll(async () => {
  await newUser();
});
afterEach(() => resetClock());

describe('login lockout', () => {
  it('locks a user name after 5 failures: even the right password is refused, until 300 s have passed', async () => {
    const user = await newUser();
    for (let attempt = 0; attempt < 5; attempt += 1) expect(message(await login(user, 'wrong-password'))).toBe(WRONG);
    const locked = await login(user, 'right-password');
    expect(locked.status).toBe(401);
    expect(locked.body).toEqual({
      error_type: 'UNAUTHENTICATED',
      messages: [{ args: [], default_message: LOCKED, id: 'com.vmware.vapi.std.errors.unauthenticated' }],
    });
    // Every dialect's login honours it: vim25 answers its InvalidLogin fault.
    const vim = await api('POST', '/sdk/vim25/8.0.3.0/SessionManager/SessionManager/Login', { body: { userName: user, password: 'right-password' } });
    expect(vim.body).toEqual({ _typeName: 'InvalidLogin', faultstring: LOCKED });
    advanceClock(290_000);
    expect((await login(user, 'right-password')).status).toBe(401);
    advanceClock(12_000);
    expect((await login(user, 'right-password')).status).toBe(201);
  });

  it('forgets failures after a successful login', async () => {
    const user = await newUser();
    for (let attempt = 0; attempt < 4; attempt += 1) await login(user, 'wrong-password');
    expect((await login(user, 'right-password')).status).toBe(201);
    for (let attempt = 0; attempt < 4; attempt += 1) await login(user, 'wrong-password');
    expect((await login(user, 'right-password')).status).toBe(201);
  });

  it('counts failures within 180 s only', async () => {
    const user = await newUser();
    for (let attempt = 0; attempt < 4; attempt += 1) await login(user, 'wrong-password');
    advanceClock(181_000);
    for (let attempt = 0; attempt < 4; attempt += 1) await login(user, 'wrong-password');
    expect((await login(user, 'right-password')).status).toBe(201);
  });

  it('keeps a lockout that a burst of wrong logins earned while a right one was being checked', async () => {
    // The right login reads one failure, then checks its password while nine wrong ones count and lock;
    // its clearing must not erase what they wrote. Ten rounds of ten logins in flight at once.
    for (let round = 0; round < 10; round += 1) {
      const user = await newUser();
      expect(message(await login(user, 'wrong-password'))).toBe(WRONG);
      const burst = await Promise.all([
        ...Array.from({ length: 9 }, () => login(user, 'wrong-password')),
        login(user, 'right-password'),
      ]);
      expect([201, 401]).toContain(burst[9]!.status);
      const after = await login(user, 'right-password');
      expect({ round, status: after.status }).toEqual({ round, status: 401 });
      expect(after.body).toEqual({
        error_type: 'UNAUTHENTICATED',
        messages: [{ args: [], default_message: LOCKED, id: 'com.vmware.vapi.std.errors.unauthenticated' }],
      });
    }
  });

  it('locks an unknown user name exactly like a known one, so the lockout tells nothing about who exists', async () => {
    const ghost = `ghost@${tenant}`;
    for (let attempt = 0; attempt < 5; attempt += 1) expect(message(await login(ghost, 'any-password'))).toBe(WRONG);
    expect(message(await login(ghost, 'any-password'))).toBe(LOCKED);
  });

  it('keeps an ordinary login at three round trips: user and failures, the session, the user again', async () => {
    const user = await newUser();
    const { result, roundTrips } = await countRoundTrips(() => login(user, 'right-password'));
    expect(result.status).toBe(201);
    expect(roundTrips).toBe(3);
  });
});
