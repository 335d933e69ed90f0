import { describe, expect, it } from 'vitest';
import { consoleProxyConfigFromEnv } from '../../proxy/config.js';
import { parseRequestTarget } from '../../proxy/request-target.js';
import { ticketOf } from '../../proxy/tickets.js';

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
      maxPendingRedemptions: 64,
      maxPendingPerClient: 4,
      redemptionTimeoutMs: 3_000,
      recordingLimits: { flushTimeoutMs: 300_000, queueBytesPerProxy: 256 * 1024 * 1024, queueBytesPerRecording: 8 * 1024 * 1024 },
      trustForwardedFor: false,
      vncConnectTimeoutMs: 5_000,
      apiTimeoutMs: 10_000,
      highWaterMarkBytes: 1_048_576,
      maxMessageBytes: 262_144,
      shutdownGraceMs: 10_000,
    });
  });

  it('takes the recording bucket, its endpoint and credentials, and the recordings\' memory limits', () => {
    const settings = consoleProxyConfigFromEnv({
      CONSOLE_PROXY_KEY: 'k',
      CONSOLE_PROXY_RECORDING_BUCKET: 'console-recordings',
      CONSOLE_PROXY_S3_ENDPOINT: 'http://127.0.0.1:4568',
      CONSOLE_PROXY_S3_ACCESS_KEY_ID: 'S3RVER',
      CONSOLE_PROXY_S3_SECRET_ACCESS_KEY: 'S3RVER',
      CONSOLE_PROXY_RECORDING_KMS_KEY_ID: 'alias/console-proxy-recordings',
      CONSOLE_PROXY_RECORDING_QUEUE_BYTES: '1048576',
      CONSOLE_PROXY_RECORDING_PROXY_QUEUE_BYTES: '67108864',
      CONSOLE_PROXY_RECORDING_FLUSH_SECONDS: '30',
    });
    expect(settings.recording).toEqual({
      bucket: 'console-recordings',
      endpoint: 'http://127.0.0.1:4568',
      kmsKeyId: 'alias/console-proxy-recordings',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    expect(settings.recordingLimits).toEqual({ queueBytesPerRecording: 1_048_576, queueBytesPerProxy: 67_108_864, flushTimeoutMs: 30_000 });
  });

  it('takes allowed origins, limits and the API from the environment', () => {
    const settings = consoleProxyConfigFromEnv({
      CONSOLE_PROXY_KEY: 'k',
      CONSOLE_PROXY_BASE_URL: 'https://console.example.com',
      CONSOLE_PROXY_ALLOWED_ORIGINS: 'https://Horizon.Example.com:443/, http://127.0.0.1:6080',
      CONSOLE_PROXY_IDLE_SECONDS: '60',
      CONSOLE_PROXY_MAX_SESSION_SECONDS: '3600',
      CONSOLE_PROXY_MAX_SESSIONS: '5',
      CONSOLE_PROXY_MAX_SESSIONS_PER_TENANT: '2',
      CONSOLE_BROKER_API_URL: 'https://api.example.com',
    });
    expect(settings).toMatchObject({
      port: 443,
      apiBaseUrl: 'https://api.example.com',
      allowedOrigins: ['https://horizon.example.com', 'http://127.0.0.1:6080'],
      idleTimeoutMs: 60_000,
      maxSessionMs: 3_600_000,
      maxSessions: 5,
      maxSessionsPerTenant: 2,
    });
  });

  it('gives each tenant a quarter of the sessions by default, at least one', () => {
    expect(consoleProxyConfigFromEnv({ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_MAX_SESSIONS: '40' }).maxSessionsPerTenant).toBe(10);
    expect(consoleProxyConfigFromEnv({ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_MAX_SESSIONS: '3' }).maxSessionsPerTenant).toBe(1);
  });

  it.each([
    ['http://0x7f.0.0.1:6380', 'http://127.0.0.1:6380'],
    ['HTTP://Console.Example.COM', 'http://console.example.com'],
    ['https://console.example.com:8443', 'https://console.example.com:8443'],
  ])('holds the configured origin %s as browsers send it: %s', (configured, held) => {
    expect(consoleProxyConfigFromEnv({ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_ALLOWED_ORIGINS: configured }).allowedOrigins).toEqual([held]);
  });

  it.each([
    [{}, 'CONSOLE_PROXY_KEY (the console proxy platform key) is required'],
    [{ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_IDLE_SECONDS: '0' }, 'CONSOLE_PROXY_IDLE_SECONDS must be a positive number'],
    [{ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_ALLOWED_ORIGINS: 'file:///tmp' }, 'not a web origin: file:///tmp'],
    [{ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_ALLOWED_ORIGINS: 'https://console.example.com/app' }, 'not a web origin: https://console.example.com/app'],
    [{ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_ALLOWED_ORIGINS: 'https://u@console.example.com' }, 'not a web origin: https://u@console.example.com'],
    [{ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_ALLOWED_ORIGINS: 'https://console.example.com?x' }, 'not a web origin: https://console.example.com?x'],
    [{ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_ALLOWED_ORIGINS: 'console.example.com' }, 'not a web origin: console.example.com'],
    [{ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_MAX_SESSIONS: '4', CONSOLE_PROXY_MAX_SESSIONS_PER_TENANT: '5' }, 'CONSOLE_PROXY_MAX_SESSIONS_PER_TENANT must not exceed CONSOLE_PROXY_MAX_SESSIONS'],
    [{ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_RECORDING_QUEUE_BYTES: '65536' }, 'CONSOLE_PROXY_RECORDING_QUEUE_BYTES must be at least 524288'],
    [{ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_RECORDING_QUEUE_BYTES: '4194304', CONSOLE_PROXY_RECORDING_PROXY_QUEUE_BYTES: '2097152' }, 'CONSOLE_PROXY_RECORDING_PROXY_QUEUE_BYTES must not be below CONSOLE_PROXY_RECORDING_QUEUE_BYTES'],
    [{ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_RECORDING_FLUSH_SECONDS: '-1' }, 'CONSOLE_PROXY_RECORDING_FLUSH_SECONDS must be a positive number'],
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

describe('the proxy as a service (shutdown, TLS, metrics)', () => {
  const base = { CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_BASE_URL: 'https://console.example.com', CONSOLE_PROXY_HOST: '0.0.0.0' };

  it('reads the shutdown bound, the certificate pair, the metrics port and EMF from the environment', () => {
    expect(consoleProxyConfigFromEnv({
      ...base,
      CONSOLE_PROXY_SHUTDOWN_SECONDS: '25',
      CONSOLE_PROXY_TLS_CERT_FILE: '/run/tls/cert.pem',
      CONSOLE_PROXY_TLS_KEY_FILE: '/run/tls/key.pem',
      CONSOLE_PROXY_METRICS_PORT: '9464',
      CONSOLE_PROXY_EMF_NAMESPACE: 'ConsoleBroker/Proxy',
      CONSOLE_PROXY_EMF_SERVICE: 'proxy-prod',
    })).toMatchObject({
      shutdownGraceMs: 25_000,
      tls: { certFile: '/run/tls/cert.pem', keyFile: '/run/tls/key.pem' },
      metrics: { host: '0.0.0.0', port: 9464 },
      emf: { namespace: 'ConsoleBroker/Proxy', service: 'proxy-prod', intervalMs: 60_000 },
    });
    const plain = consoleProxyConfigFromEnv(base);
    expect(plain.tls).toBeUndefined();
    expect(plain.metrics).toBeUndefined();
    expect(plain.emf).toBeUndefined();
  });

  it('refuses half a certificate pair and a metrics port that is none', () => {
    expect(() => consoleProxyConfigFromEnv({ ...base, CONSOLE_PROXY_TLS_CERT_FILE: '/run/tls/cert.pem' })).toThrow(
      'CONSOLE_PROXY_TLS_CERT_FILE and CONSOLE_PROXY_TLS_KEY_FILE go together',
    );
    expect(() => consoleProxyConfigFromEnv({ ...base, CONSOLE_PROXY_METRICS_PORT: 'ninety' })).toThrow('CONSOLE_PROXY_METRICS_PORT must be a port number');
    expect(() => consoleProxyConfigFromEnv({ ...base, CONSOLE_PROXY_SHUTDOWN_SECONDS: '0' })).toThrow('CONSOLE_PROXY_SHUTDOWN_SECONDS must be a positive number');
  });
});
