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
import { captureOutput } from '../support/console-fixtures.js';

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
      // 503: the policy's checks were all under way when it arrived (retryable, and no lockout).
      expect([201, 401, 503]).toContain(burst[9]!.status);
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

  it('keeps an ordinary login at three steps: user and reservation, session and release, the user again', async () => {
    // Five round trips, two pairs of them side by side: the reservation costs no latency.
    const user = await newUser();
    const { result, roundTrips } = await countRoundTrips(() => login(user, 'right-password'));
    expect(result.status).toBe(201);
    expect(roundTrips).toBe(5);
  });
});

/** The password checks the audit trail recorded for `userName` while `burst` ran. */
async function passwordsChecked<T>(userName: string, burst: () => Promise<T>): Promise<{ result: T; checked: number }> {
  const lines: string[] = [];
  const restore = captureOutput((text) => lines.push(text));
  let result: T;
  try {
    result = await burst();
  } finally {
    restore();
  }
  const checked = lines
    .join('')
    .split('\n')
    .filter((line) => line.includes('"message":"login password checked"') && line.includes(`"user":"${userName}"`)).length;
  return { result, checked };
}

const BUSY = 'Too many logins of this user name are being checked at once; try again in a moment.';

/** The four password routes, each logging `userName` in with `password`. */
const ROUTES = {
  api: (userName: string, password: string) => login(userName, password),
  rest: (userName: string, password: string) => api('POST', '/rest/com/vmware/cis/session', { headers: basic(userName, password) }),
  vim25: (userName: string, password: string) =>
    api('POST', '/sdk/vim25/8.0.3.0/SessionManager/SessionManager/Login', { body: { _typeName: 'Login', userName, password } }),
  keystone: (userName: string, password: string) =>
    api('POST', '/identity/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['password'], password: { user: { name: userName, domain: { name: 'Default' }, password } } } } },
    }),
};
const ROUTE_NAMES = Object.keys(ROUTES) as (keyof typeof ROUTES)[];

describe('login lockout under a burst', () => {
  it.each([30, 100])(
    'a burst of %i guesses across all four password routes checks at most 5 passwords, and the right one among them is locked out',
    async (size) => {
      const user = await newUser();
      // The right password is sent last, behind the wrong ones: sequentially it would meet the lock.
      const { result: burst, checked } = await passwordsChecked(user, () =>
        Promise.all(
          Array.from({ length: size }, (_, index) =>
            ROUTES[ROUTE_NAMES[index % 4]!](user, index === size - 1 ? 'right-password' : 'wrong-password'),
          ),
        ),
      );
      expect(checked).toBeLessThanOrEqual(5);
      expect(checked).toBeGreaterThan(0);
      expect(burst.at(-1)!.status).not.toBe(201);
      expect(burst.filter((response) => [200, 201].includes(response.status))).toEqual([]);
      for (const name of ROUTE_NAMES) expect((await ROUTES[name](user, 'right-password')).status, name).not.toBe(201);
      expect((await login(user, 'right-password')).body).toEqual({
        error_type: 'UNAUTHENTICATED',
        messages: [{ args: [], default_message: LOCKED, id: 'com.vmware.vapi.std.errors.unauthenticated' }],
      });
    },
  );

  it('20 correct logins at once get sessions or a retryable 503, never a lockout', async () => {
    const user = await newUser();
    const { result: burst, checked } = await passwordsChecked(user, () =>
      Promise.all(Array.from({ length: 20 }, () => login(user, 'right-password'))),
    );
    const statuses = burst.map((response) => response.status);
    expect(statuses.filter((status) => status !== 201 && status !== 503)).toEqual([]);
    expect(statuses.filter((status) => status === 201).length).toBe(checked);
    for (const refused of burst.filter((response) => response.status === 503)) {
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body).toEqual({
        error_type: 'SERVICE_UNAVAILABLE',
        messages: [{ args: [], default_message: BUSY, id: 'com.vmware.vapi.std.errors.service_unavailable' }],
      });
    }
    // Nothing was counted against the name: the next login and five more wrong ones are answered as usual.
    expect((await login(user, 'right-password')).status).toBe(201);
    for (let attempt = 0; attempt < 4; attempt += 1) expect(message(await login(user, 'wrong-password'))).toBe(WRONG);
    expect((await login(user, 'right-password')).status).toBe(201);
  });

  it('answers a busy vim25 Login and Keystone in their own shapes', async () => {
    const user = await newUser();
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, index) => ROUTES[index % 2 ? 'vim25' : 'keystone'](user, 'right-password')),
    );
    const busy = burst.filter((response) => response.status !== 200 && response.status !== 201);
    expect(busy.length).toBeGreaterThan(0);
    for (const response of busy) {
      if (response.body?._typeName !== undefined) expect(response.body).toEqual({ _typeName: 'HostCommunication', faultstring: BUSY });
      else expect(response.body).toEqual({ error: { code: 503, message: BUSY, title: 'Service Unavailable' } });
    }
  });
});
