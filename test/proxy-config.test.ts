import { describe, expect, it } from 'vitest';
import { consoleProxyConfigFromEnv } from '../proxy/config.js';
import { parseRequestTarget } from '../proxy/request-target.js';
import { ticketOf } from '../proxy/tickets.js';

describe('consoleProxyConfigFromEnv', () => {
  it('listens where Nova console URLs point, on loopback, and admits only that origin', () => {
    expect(consoleProxyConfigFromEnv({ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_BASE_URL: 'http://127.0.0.1:6080' })).toEqual({
      host: '127.0.0.1',
      port: 6080,
      apiBaseUrl: 'http://127.0.0.1:3000',
      apiKey: 'k',
      allowedOrigins: ['http://127.0.0.1:6080'],
      idleTimeoutMs: 900_000,
      maxSessionMs: 28_800_000,
      maxSessions: 200,
      maxSessionsPerTenant: 50,
      vncConnectTimeoutMs: 5_000,
      apiTimeoutMs: 10_000,
      highWaterMarkBytes: 1_048_576,
      maxMessageBytes: 262_144,
    });
  });

  it('takes allowed origins, limits and the API from the environment', () => {
    const settings = consoleProxyConfigFromEnv({
      CONSOLE_PROXY_KEY: 'k',
      CONSOLE_PROXY_BASE_URL: 'https://console.example.com',
      CONSOLE_PROXY_ALLOWED_ORIGINS: 'https://Horizon.Example.com:443/, http://127.0.0.1:6080',
      CONSOLE_PROXY_IDLE_SECONDS: '60',
      CONSOLE_PROXY_MAX_SESSION_SECONDS: '3600',
      CONSOLE_PROXY_MAX_SESSIONS: '5',
      CONSOLE_BROKER_API_URL: 'https://api.example.com',
    });
    expect(settings).toMatchObject({
      port: 443,
      apiBaseUrl: 'https://api.example.com',
      allowedOrigins: ['https://horizon.example.com', 'http://127.0.0.1:6080'],
      idleTimeoutMs: 60_000,
      maxSessionMs: 3_600_000,
      maxSessions: 5,
    });
  });

  it.each([
    [{}, 'CONSOLE_PROXY_KEY (the console proxy platform key) is required'],
    [{ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_IDLE_SECONDS: '0' }, 'CONSOLE_PROXY_IDLE_SECONDS must be a positive number'],
    [{ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_ALLOWED_ORIGINS: 'file:///tmp' }, 'not a web origin: file:///tmp'],
  ])('fails loudly on %j', (env, message) => {
    expect(() => consoleProxyConfigFromEnv(env)).toThrow(message);
  });
});

describe('ticketOf', () => {
  it.each([
    ['/?token=acme.abc', 'acme.abc'],
    ['/websockify?token=acme.abc', 'acme.abc'],
    ['/ticket/acme.abc', 'acme.abc'],
    ['/websockify', ''],
    ['/ticket/%E0%A4', ''],
    ['/vnc_auto.html?token=acme.abc', undefined],
    ['/ticket/a/b', undefined],
  ])('%s → %j', (url, ticket) => {
    expect(ticketOf(parseRequestTarget(url)!)).toBe(ticket);
  });
});

describe('parseRequestTarget', () => {
  it.each([
    ['/', '/', []],
    ['/vnc_auto.html?path=%3Ftoken%3Dacme.abc', '/vnc_auto.html', [['path', '?token=acme.abc']]],
    ['/?token=acme.abc&x=%zz|{', '/', [['token', 'acme.abc'], ['x', '%zz|{']]],
    ['/novnc/core/%2e%2e/x.js', '/novnc/core/%2e%2e/x.js', []],
  ])('%s is origin-form', (target, path, query) => {
    const parsed = parseRequestTarget(target)!;
    expect([parsed.path, [...parsed.query]]).toEqual([path, query]);
  });

  it.each(['//', '//?token=acme.abc', '/\\x', 'http://[', 'http://127.0.0.1:6080/', '127.0.0.1:6080', '*', '', '/%zz', '/a b', '/é', '/#x'])(
    'refuses %j',
    (target) => {
      expect(parseRequestTarget(target)).toBeUndefined();
    },
  );
});
