/**
 * Every sample event in events/ is a real API Gateway v2 event for a real route: replayed through its
 * handler (with a live session where the sample holds the placeholder), it is answered without a 5xx.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { countRoundTrips } from '../support/store-instrumentation.js';
import { invoke, loginVcenter, routes } from '../support/api.js';
import { expectAllowedByIam } from '../support/iam.js';
import { SESSION_PLACEHOLDER } from '../support/events.js';

const folder = fileURLToPath(new URL('../../events/', import.meta.url));
// Replayed as a user would call them: what creates first, what deletes last (a legacy console is shown
// after it is created and before it is deleted).
const phase = (name: string) => (/Create|Put|Issue/.test(name) ? 0 : /Delete/.test(name) ? 2 : 1);
const samples = readdirSync(folder)
  .filter((name) => name.endsWith('.json'))
  .sort((a, b) => phase(a) - phase(b) || a.localeCompare(b));

describe('events/', () => {
  it('holds one sample for every function, named for it', () =>
    expect(samples.map((name) => name.replace(/\.json$/, '')).sort()).toEqual([...new Set(routes.map((route) => route.functionName))].sort()));

  it.each(samples)('%s replays through its handler', { sequential: true }, async (name) => {
    const raw = readFileSync(`${folder}${name}`, 'utf8');
    const needsSession = raw.includes(SESSION_PLACEHOLDER);
    const event = JSON.parse(needsSession ? raw.replaceAll(SESSION_PLACEHOLDER, await loginVcenter()) : raw);
    const { result: response, live } = await countRoundTrips(() => invoke(event));
    const route = routes.find((candidate) => `${candidate.method} ${candidate.path}` === event.routeKey)!;
    expectAllowedByIam(route.functionName, live.actions);
    if (event.routeKey.includes('/console/sessions/{session}')) {
      // The demo data holds no open console: the documented answer for a session not open is 404.
      expect(response.status, response.text).toBe(404);
      return;
    }
    if (event.routeKey.includes('/guest/processes')) {
      // No guest agent heartbeats in this test: the documented answer is "tools not running".
      expect(response.status, response.text).toBe(503);
      return;
    }
    if (event.routeKey.includes('/console/recordings/{recording}')) {
      // The demo data holds no recording: the documented answer for an unknown one is 404.
      expect(response.status, response.text).toBe(404);
      return;
    }
    expect(response.status, response.text).toBeLessThan(500);
    if (needsSession) expect(response.status, response.text).toBeLessThan(400);
  });
});
