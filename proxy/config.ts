import { config as apiConfig } from '../lib/config.js';
import { DEFAULT_RECORDING_LIMITS, MIN_QUEUE_BYTES, type RecordingLimits } from './recording/recordings.js';
import type { RecordingStorageConfig } from './recording/storage.js';

/** Everything the console proxy can be told; `consoleProxyConfigFromEnv()` reads it from the environment. */
export interface ConsoleProxyConfig {
  /** Listen address: loopback unless told otherwise (a load balancer or TLS terminator sits in front). */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** The console-broker API that redeems tickets and stores audit records. */
  apiBaseUrl: string;
  /** The console proxy's platform key (`Authorization: Bearer <key>`). */
  apiKey: string;
  /**
   * Origins (`scheme://host[:port]`, serialized as browsers send them) whose pages may open a console; the
   * Origin header must equal one of them exactly.
   */
  allowedOrigins: string[];
  /** A session with no byte in either direction for this long is closed. */
  idleTimeoutMs: number;
  /** No session lasts longer than this, busy or not. */
  maxSessionMs: number;
  /** Sessions bridged (or being set up) at once by this process. */
  maxSessions: number;
  /** Sessions one tenant may hold at once, so that one tenant cannot take all of `maxSessions`. */
  maxSessionsPerTenant: number;
  /**
   * Redemptions in flight at once (sockets waiting on the API), apart from the sessions: invented tickets
   * cannot take established sessions' places, and one client cannot take every place in the queue.
   */
  maxPendingRedemptions: number;
  /** Redemptions in flight at once from one client address (see `trustForwardedFor`). */
  maxPendingPerClient: number;
  /** How long one redemption may wait on the API: a socket holds its pending place no longer. */
  redemptionTimeoutMs: number;
  /**
   * Take the client's address from the last `X-Forwarded-For` entry (the one the load balancer in front
   * appended) instead of the TCP peer. Only behind a load balancer that appends it, never when clients
   * reach the proxy directly: a client would then name any address it likes.
   */
  trustForwardedFor: boolean;
  /** How long to wait for the VM's VNC endpoint to accept the TCP connection. */
  vncConnectTimeoutMs: number;
  /** How long to wait for the API (redemption, audit). */
  apiTimeoutMs: number;
  /** Above this many bytes queued towards the browser, stop reading from the VM until it drains. */
  highWaterMarkBytes: number;
  /** The largest WebSocket message accepted from a browser (RFB client messages are small). */
  maxMessageBytes: number;
  /** On SIGTERM, how long open consoles get to close and their audit records to land (default 10 s). */
  shutdownGraceMs?: number;
  /** Serve https/wss with this certificate and key (PEM files, re-read when they change); plain http without. */
  tls?: { certFile: string; keyFile: string };
  /** Prometheus text metrics on their own listener (`/metrics`); none without a port. */
  metrics?: { host: string; port: number };
  /** CloudWatch embedded metric format lines on stdout every `intervalMs` (for ECS scaling); none without. */
  emf?: { namespace: string; service: string; intervalMs: number };
  /** This instance's name in the registry of open consoles (default: host name and pid). */
  instanceId?: string;
  /**
   * The WebSocket API orders to end consoles are pushed over (the agents' API Gateway WebSocket API); unset:
   * the proxy learns of ended consoles only from its heartbeats.
   */
  ordersUrl?: string;
  /**
   * Where console recordings are written and played back from (issue 27): an S3 bucket. Unset: consoles whose
   * policy records them open "not recorded" (optional) or are refused (mandatory).
   */
  recording?: RecordingStorageConfig;
  /** Memory recordings may hold before S3 has their chunks, and how long an ended one retries (defaults: recordings.ts). */
  recordingLimits?: RecordingLimits;
  /** Recordings played back (streamed to playback pages) at once by this process, apart from `maxSessions` (default 20). */
  maxPlaybacks?: number;
}

type Env = Record<string, string | undefined>;

export const DEFAULT_MAX_PLAYBACKS = 20;

const seconds = (env: Env, name: string, fallback: number): number => positive(env, name, fallback) * 1000;

function positive(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

/**
 * Reads the proxy's configuration. By default it listens where the API's Nova console URLs point
 * (`CONSOLE_PROXY_BASE_URL`, http://127.0.0.1:6080) and admits pages from that origin only.
 */
export function consoleProxyConfigFromEnv(env: Env = process.env): ConsoleProxyConfig {
  const publicUrl = new URL(env.CONSOLE_PROXY_BASE_URL || apiConfig.consoleProxyBaseUrl());
  const publicPort = Number(publicUrl.port || (publicUrl.protocol === 'https:' ? 443 : 80));
  const apiKey = env.CONSOLE_PROXY_KEY ?? '';
  if (!apiKey) throw new Error('CONSOLE_PROXY_KEY (the console proxy platform key) is required');
  const origins = env.CONSOLE_PROXY_ALLOWED_ORIGINS?.split(',').map((origin) => origin.trim()).filter(Boolean);
  const maxSessions = positive(env, 'CONSOLE_PROXY_MAX_SESSIONS', 200);
  const maxSessionsPerTenant = positive(env, 'CONSOLE_PROXY_MAX_SESSIONS_PER_TENANT', Math.max(1, Math.floor(maxSessions / 4)));
  if (maxSessionsPerTenant > maxSessions) throw new Error('CONSOLE_PROXY_MAX_SESSIONS_PER_TENANT must not exceed CONSOLE_PROXY_MAX_SESSIONS');
  return {
    host: env.CONSOLE_PROXY_HOST || '127.0.0.1',
    port: env.CONSOLE_PROXY_PORT ? Number(env.CONSOLE_PROXY_PORT) : publicPort,
    apiBaseUrl: env.CONSOLE_BROKER_API_URL || `http://127.0.0.1:${env.HTTP_PORT || 3000}`,
    apiKey,
    allowedOrigins: origins?.length ? origins.map(canonicalOrigin) : [publicUrl.origin],
    idleTimeoutMs: seconds(env, 'CONSOLE_PROXY_IDLE_SECONDS', 15 * 60),
    maxSessionMs: seconds(env, 'CONSOLE_PROXY_MAX_SESSION_SECONDS', 8 * 3600),
    maxSessions,
    maxSessionsPerTenant,
    maxPendingRedemptions: positive(env, 'CONSOLE_PROXY_MAX_PENDING_REDEMPTIONS', 64),
    maxPendingPerClient: positive(env, 'CONSOLE_PROXY_MAX_PENDING_PER_CLIENT', 4),
    ...(env.CONSOLE_PROXY_MAX_PLAYBACKS ? { maxPlaybacks: positive(env, 'CONSOLE_PROXY_MAX_PLAYBACKS', DEFAULT_MAX_PLAYBACKS) } : {}),
    redemptionTimeoutMs: seconds(env, 'CONSOLE_PROXY_REDEMPTION_TIMEOUT_SECONDS', 3),
    trustForwardedFor: env.CONSOLE_PROXY_TRUST_X_FORWARDED_FOR === 'true',
    vncConnectTimeoutMs: seconds(env, 'CONSOLE_PROXY_VNC_CONNECT_TIMEOUT_SECONDS', 5),
    apiTimeoutMs: seconds(env, 'CONSOLE_PROXY_API_TIMEOUT_SECONDS', 10),
    highWaterMarkBytes: positive(env, 'CONSOLE_PROXY_HIGH_WATER_MARK_BYTES', 1024 * 1024),
    maxMessageBytes: positive(env, 'CONSOLE_PROXY_MAX_MESSAGE_BYTES', 256 * 1024),
    ...(env.CONSOLE_PROXY_INSTANCE_ID ? { instanceId: env.CONSOLE_PROXY_INSTANCE_ID } : {}),
    ...(env.CONSOLE_PROXY_ORDERS_URL ? { ordersUrl: env.CONSOLE_PROXY_ORDERS_URL } : {}),
    ...(env.CONSOLE_PROXY_RECORDING_BUCKET
      ? {
          recording: {
            bucket: env.CONSOLE_PROXY_RECORDING_BUCKET,
            ...(env.CONSOLE_PROXY_S3_ENDPOINT ? { endpoint: env.CONSOLE_PROXY_S3_ENDPOINT } : {}),
            ...(env.CONSOLE_PROXY_RECORDING_KMS_KEY_ID ? { kmsKeyId: env.CONSOLE_PROXY_RECORDING_KMS_KEY_ID } : {}),
            // Only for an S3-API server of one's own (s3rver locally); on AWS the task role's credentials.
            ...(env.CONSOLE_PROXY_S3_ACCESS_KEY_ID && env.CONSOLE_PROXY_S3_SECRET_ACCESS_KEY
              ? { credentials: { accessKeyId: env.CONSOLE_PROXY_S3_ACCESS_KEY_ID, secretAccessKey: env.CONSOLE_PROXY_S3_SECRET_ACCESS_KEY } }
              : {}),
          },
        }
      : {}),
    recordingLimits: recordingLimits(env),
    ...shippingConfig(env),
  };
}

function recordingLimits(env: Env): RecordingLimits {
  const perRecording = positive(env, 'CONSOLE_PROXY_RECORDING_QUEUE_BYTES', DEFAULT_RECORDING_LIMITS.queueBytesPerRecording);
  const perProxy = positive(env, 'CONSOLE_PROXY_RECORDING_PROXY_QUEUE_BYTES', DEFAULT_RECORDING_LIMITS.queueBytesPerProxy);
  if (perRecording < MIN_QUEUE_BYTES) throw new Error(`CONSOLE_PROXY_RECORDING_QUEUE_BYTES must be at least ${MIN_QUEUE_BYTES}`);
  if (perProxy < perRecording) throw new Error('CONSOLE_PROXY_RECORDING_PROXY_QUEUE_BYTES must not be below CONSOLE_PROXY_RECORDING_QUEUE_BYTES');
  return {
    queueBytesPerRecording: perRecording,
    queueBytesPerProxy: perProxy,
    flushTimeoutMs: seconds(env, 'CONSOLE_PROXY_RECORDING_FLUSH_SECONDS', DEFAULT_RECORDING_LIMITS.flushTimeoutMs / 1000),
  };
}

/** Shutdown, TLS and metrics: what running the proxy as a service needs. */
function shippingConfig(env: Env): Pick<ConsoleProxyConfig, 'shutdownGraceMs' | 'tls' | 'metrics' | 'emf'> {
  const certFile = env.CONSOLE_PROXY_TLS_CERT_FILE || undefined;
  const keyFile = env.CONSOLE_PROXY_TLS_KEY_FILE || undefined;
  if (Boolean(certFile) !== Boolean(keyFile)) throw new Error('CONSOLE_PROXY_TLS_CERT_FILE and CONSOLE_PROXY_TLS_KEY_FILE go together');
  const metricsPort = env.CONSOLE_PROXY_METRICS_PORT ? Number(env.CONSOLE_PROXY_METRICS_PORT) : undefined;
  if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort < 65536)) {
    throw new Error('CONSOLE_PROXY_METRICS_PORT must be a port number');
  }
  return {
    shutdownGraceMs: seconds(env, 'CONSOLE_PROXY_SHUTDOWN_SECONDS', 10),
    ...(certFile && keyFile ? { tls: { certFile, keyFile } } : {}),
    ...(metricsPort !== undefined ? { metrics: { host: env.CONSOLE_PROXY_METRICS_HOST || env.CONSOLE_PROXY_HOST || '127.0.0.1', port: metricsPort } } : {}),
    ...(env.CONSOLE_PROXY_EMF_NAMESPACE
      ? { emf: { namespace: env.CONSOLE_PROXY_EMF_NAMESPACE, service: env.CONSOLE_PROXY_EMF_SERVICE || 'console-proxy', intervalMs: seconds(env, 'CONSOLE_PROXY_EMF_SECONDS', 60) } }
      : {}),
  };
}

/**
 * A configured origin in the serialization browsers send (`https://Console.Example.com:443/` →
 * `https://console.example.com`), once, at start. Anything an Origin header cannot be — a path, a query,
 * userinfo, another scheme — is a configuration error, not something to strip silently.
 */
export function canonicalOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new Error(`not a web origin: ${origin}`);
  }
  const onlyOrigin = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password && !origin.endsWith('?') && !origin.endsWith('#');
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !onlyOrigin) throw new Error(`not a web origin: ${origin}`);
  return url.origin;
}
