/**
 * The local HTTP API as `npm start` serves it: serverless-offline runs every function on a loopback port of
 * its own, and a small front door on the public port plays the part of API Gateway that serverless-offline
 * does not, and cannot be configured to (see node_modules/serverless-offline/src/events/http/HttpServer.js):
 *   - a Host header that is no host is refused with a 400 (hapi answers it with a 500);
 *   - no CORS: the Origin header is not passed on (serverless-offline reflects any Origin, with credentials,
 *     and approves any preflight), and no Access-Control-* header comes back, as on an HTTP API with no
 *     CORS configuration;
 *   - no route matched: API Gateway's own 404 instead of serverless-offline's list of every route;
 *   - a failed or timed-out invocation: API Gateway's 500 instead of a 200 whose body is a stack trace;
 *   - the function's own Content-Type, as API Gateway passes it (hapi appends `; charset=utf-8` to JSON and
 *     text types, and vmware_rest parses a body only under exactly `application/json`);
 *   - optionally https as well, on a second port, with a throw-away self-signed certificate made at start
 *     (API Gateway speaks https only; vmware_rest does too).
 * serverless-offline itself logs at warning level only: its per-request lines print raw paths, and Nova's
 * os-console-auth-tokens path holds a live console token. The functions' own request logs name routes only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as forward, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { InvalidArgument } from '../lib/core/errors.js';
import { dialectOfPath } from '../lib/dialects/by-path.js';
import { freePorts } from './local-dynamodb.js';
import { selfSignedCertificate } from './self-signed-certificate.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface LocalApi {
  url: string;
  /** `https://127.0.0.1:<port>`, with `httpsPort`. */
  httpsUrl?: string;
  /** The guest agents' WebSocket API (`ws://127.0.0.1:<port>`), served by serverless-offline itself. */
  websocketUrl: string;
  /** The serverless-offline process behind the front door. */
  offline: ChildProcess;
  close(): Promise<void>;
}

export interface LocalApiOptions {
  port: number;
  /** Also serve https on this port (0: any free one), with a self-signed certificate for 127.0.0.1 and localhost. */
  httpsPort?: number;
  stage: string;
  /** The functions' environment (and serverless.yml's `${env:…}`). */
  env: NodeJS.ProcessEnv;
  /** Where serverless-offline's own output goes; `inherit` by default. */
  stdio?: 'inherit' | 'pipe' | 'ignore';
  /** serverless-offline in a process group of its own (its pid is the group's), as a supervisor wants it. */
  detached?: boolean;
}

/** Starts serverless-offline on a free loopback port and the front door on `port` (and `httpsPort`); resolves once they listen. */
export async function startLocalApi({ port, httpsPort, stage, env, stdio = 'inherit', detached = false }: LocalApiOptions): Promise<LocalApi> {
  const [upstreamPort, freeWebsocketPort] = (await freePorts(2)) as [number, number];
  // The WebSocket API needs no front door: API Gateway serves it on an endpoint of its own, as serverless-offline
  // does here (with its /@connections management API on the same port). WEBSOCKET_PORT, or a free port.
  const websocketPort = env.WEBSOCKET_PORT ? Number(env.WEBSOCKET_PORT) : freeWebsocketPort;
  const websocketUrl = `ws://127.0.0.1:${websocketPort}`;
  // The doors first: a port that is taken fails the start before serverless-offline runs.
  const frontDoor = frontDoorTo(upstreamPort);
  const doors = [await listen(createServer(frontDoor), port)];
  if (httpsPort !== undefined) {
    doors.push(await listen(createTlsServer(selfSignedCertificate(), frontDoor), httpsPort).catch(async (error: unknown) => {
      await closeAll(doors);
      throw error;
    }));
  }
  const offline = spawn(process.execPath, [`${root}node_modules/serverless/bin/serverless.js`, 'offline', 'start', '--stage', stage], {
    cwd: root,
    stdio: ['ignore', stdio, stdio],
    env: {
      ...env,
      OFFLINE_HTTP_PORT: String(upstreamPort),
      WEBSOCKET_PORT: String(websocketPort),
      AGENT_WEBSOCKET_URL: env.AGENT_WEBSOCKET_URL || websocketUrl,
      AGENT_CONNECTIONS_ENDPOINT: env.AGENT_CONNECTIONS_ENDPOINT || `http://127.0.0.1:${websocketPort}`,
      SLS_LOG_LEVEL: 'warning',
    },
    detached,
  });
  const [plain, tls] = doors.map((door) => (door.address() as AddressInfo).port);
  return {
    url: `http://127.0.0.1:${plain}`,
    ...(tls === undefined ? {} : { httpsUrl: `https://127.0.0.1:${tls}` }),
    websocketUrl,
    offline,
    close: async () => {
      offline.kill('SIGTERM');
      await closeAll(doors);
    },
  };
}

type Door = ReturnType<typeof createServer> | ReturnType<typeof createTlsServer>;

const closeAll = (doors: Door[]) =>
  Promise.all(
    doors.map((door) => {
      door.closeAllConnections();
      return new Promise((resolve) => door.close(resolve));
    }),
  );

function listen<T extends Door>(server: T, port: number): Promise<T> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** A host name, IPv4 or bracketed IPv6 literal, with an optional port: what a Host header may hold. */
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);
const json = (status: number, body: unknown) => ({ status, body: Buffer.from(JSON.stringify(body)) });

function frontDoorTo(upstreamPort: number): RequestListener {
  return (req, res) => {
    const refusal = refuse(req);
    if (refusal) return reply(res, refusal.status, {}, refusal.body);
    const headers = forwardedHeaders(req);
    // API Gateway takes any Cookie header (pyVmomi echoes Set-Cookie's attributes back: `…; Path=/; HttpOnly`);
    // serverless-offline's hapi refuses a segment without `=` with a 400 of its own, so those are left out here.
    if (typeof headers.cookie === 'string') headers.cookie = headers.cookie.split(';').filter((part) => part.includes('=')).join(';');
    const upstream = forward({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const { status, body, replaced } = asApiGateway(answer.statusCode ?? 502, Buffer.concat(chunks));
        reply(res, status, replaced ? {} : answer.headers, body);
      });
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => {
      const unavailable = json(503, { message: 'Service Unavailable' });
      if (!res.headersSent) reply(res, unavailable.status, {}, unavailable.body);
    });
    req.pipe(upstream);
  };
}

/**
 * The headers passed on to serverless-offline. Without Origin (and a preflight's requests) neither
 * serverless-offline nor hapi does any CORS. The forwarding headers are the front door's own, as API
 * Gateway's are: a client's `X-Forwarded-*` or `Forwarded` never passes (Nova links and the Keystone catalog
 * are built from them, so a client could otherwise name any scheme or host in them).
 */
export function forwardedHeaders(req: IncomingMessage): IncomingMessage['headers'] {
  const headers = Object.fromEntries(
    Object.entries(req.headers).filter(
      ([name]) => name !== 'origin' && name !== 'forwarded' && !name.startsWith('access-control-request-') && !name.startsWith('x-forwarded-'),
    ),
  );
  const socket = req.socket as TLSSocket;
  headers['x-forwarded-proto'] = socket.encrypted ? 'https' : 'http';
  headers['x-forwarded-port'] = String(socket.localPort ?? '');
  if (socket.remoteAddress) headers['x-forwarded-for'] = socket.remoteAddress;
  if (req.headers.host !== undefined) headers['x-forwarded-host'] = req.headers.host;
  return headers;
}

/** A request API Gateway would not pass to a function: a request target or Host that names no resource. */
function refuse(req: IncomingMessage): { status: number; body: Buffer } | undefined {
  const target = req.url ?? '';
  const host = req.headers.host;
  let problem: string | undefined;
  if (!target.startsWith('/')) problem = 'The request target is not a path.';
  else if (host !== undefined && !HOST.test(host)) problem = 'The Host header is not a host name.';
  if (!problem) return undefined;
  const dialect = dialectOfPath(target.split('?')[0]!);
  if (!dialect) return json(400, { message: 'Bad Request' });
  const rendered = dialect.renderError(InvalidArgument(problem));
  return { status: rendered.statusCode, body: Buffer.from(rendered.body ?? '') };
}

/**
 * What API Gateway answers where serverless-offline answers for itself: its route-not-found list, a Lambda
 * error or timeout it renders with the stack trace, a hapi error.
 */
function asApiGateway(status: number, body: Buffer): { status: number; body: Buffer; replaced: boolean } {
  let parsed: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
  } catch {
    // not JSON: a function's own answer
  }
  if (parsed?.error === 'Serverless-offline: route not found.') return { ...json(404, { message: 'Not Found' }), replaced: true };
  if (parsed && ('stackTrace' in parsed || 'offlineInfo' in parsed)) {
    return { ...json(500, { message: 'Internal Server Error' }), replaced: true };
  }
  if (parsed && typeof parsed.statusCode === 'number' && typeof parsed.error === 'string' && status >= 400) {
    return { ...json(status >= 500 ? 500 : status, { message: status >= 500 ? 'Internal Server Error' : parsed.error }), replaced: true };
  }
  return { status, body, replaced: false };
}

function reply(res: ServerResponse, status: number, headers: IncomingMessage['headers'], body: Buffer): void {
  const kept = Object.entries(headers).filter(
    ([name]) => !HOP_BY_HOP.has(name) && !name.startsWith('access-control-') && name !== 'content-length' && name !== 'content-type',
  );
  res.writeHead(status, [
    ...kept.flatMap(([name, value]) => [value].flat().map((entry) => [name, String(entry)] as [string, string])),
    ['content-type', functionContentType(headers['content-type'])],
    ['content-length', String(body.length)],
  ].flat());
  res.end(body);
}

/** Where hapi appends `; charset=utf-8` to a type without one (@hapi/hapi lib/response.js, `contentType`). */
const HAPI_CHARSET_TYPES = /^(?:text\/)|(?:application\/(?:json)|(?:javascript))/;

/**
 * The Content-Type the function returned, as API Gateway passes it on: without the charset hapi appended.
 * The functions here never name a charset themselves (lib/http/types.ts), so one hapi's rule explains is hapi's.
 */
function functionContentType(sent: string | string[] | undefined): string {
  const type = String(sent ?? 'application/json');
  const appended = /^(.*); charset=utf-8$/.exec(type)?.[1];
  return appended !== undefined && HAPI_CHARSET_TYPES.test(appended) && !/; *charset=/.test(appended) ? appended : type;
}
