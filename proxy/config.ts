import { config as apiConfig } from '../lib/config.js';

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
  /** Exact origins (`scheme://host[:port]`) whose pages may open a console; nothing else is let in. */
  allowedOrigins: string[];
  /** A session with no byte in either direction for this long is closed. */
  idleTimeoutMs: number;
  /** No session lasts longer than this, busy or not. */
  maxSessionMs: number;
  /** Sessions bridged (or being set up) at once by this process. */
  maxSessions: number;
  /** How long to wait for the VM's VNC endpoint to accept the TCP connection. */
  vncConnectTimeoutMs: number;
  /** How long to wait for the API (redemption, audit). */
  apiTimeoutMs: number;
  /** Above this many bytes queued towards the browser, stop reading from the VM until it drains. */
  highWaterMarkBytes: number;
  /** The largest WebSocket message accepted from a browser (RFB client messages are small). */
  maxMessageBytes: number;
}

type Env = Record<string, string | undefined>;

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
  return {
    host: env.CONSOLE_PROXY_HOST || '127.0.0.1',
    port: env.CONSOLE_PROXY_PORT ? Number(env.CONSOLE_PROXY_PORT) : publicPort,
    apiBaseUrl: env.CONSOLE_BROKER_API_URL || `http://127.0.0.1:${env.HTTP_PORT || 3000}`,
    apiKey,
    allowedOrigins: origins?.length ? origins.map(canonicalOrigin) : [publicUrl.origin],
    idleTimeoutMs: seconds(env, 'CONSOLE_PROXY_IDLE_SECONDS', 15 * 60),
    maxSessionMs: seconds(env, 'CONSOLE_PROXY_MAX_SESSION_SECONDS', 8 * 3600),
    maxSessions: positive(env, 'CONSOLE_PROXY_MAX_SESSIONS', 200),
    vncConnectTimeoutMs: seconds(env, 'CONSOLE_PROXY_VNC_CONNECT_TIMEOUT_SECONDS', 5),
    apiTimeoutMs: seconds(env, 'CONSOLE_PROXY_API_TIMEOUT_SECONDS', 10),
    highWaterMarkBytes: positive(env, 'CONSOLE_PROXY_HIGH_WATER_MARK_BYTES', 1024 * 1024),
    maxMessageBytes: positive(env, 'CONSOLE_PROXY_MAX_MESSAGE_BYTES', 256 * 1024),
  };
}

/** `https://Console.Example.com:443/` → `https://console.example.com`, as browsers send Origin. */
export function canonicalOrigin(origin: string): string {
  const url = new URL(origin);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`not a web origin: ${origin}`);
  return url.origin;
}
