/**
 * The local HTTP API as `npm start` serves it: serverless-offline runs every function on a loopback port of
 * its own, and a small front door on the public port plays the part of API Gateway that serverless-offline
 * does not, and cannot be configured to (see node_modules/serverless-offline/src/events/http/HttpServer.js):
 *   - a Host header that is no host is refused with a 400 (hapi answers it with a 500);
 *   - no CORS: the Origin header is not passed on (serverless-offline reflects any Origin, with credentials,
 *     and approves any preflight), and no Access-Control-* header comes back, as on an HTTP API with no
 *     CORS configuration;
 *   - no route matched: API Gateway's own 404 instead of serverless-offline's list of every route;
 *   - a failed or timed-out invocation: API Gateway's 500 instead of a 200 whose body is a stack trace.
 * serverless-offline itself logs at warning level only: its per-request lines print raw paths, and Nova's
 * os-console-auth-tokens path holds a live console token. The functions' own request logs name routes only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { InvalidArgument } from '../lib/core/errors.js';
import { dialectOfPath } from '../lib/dialects/by-path.js';
import { freePort } from './local-dynamodb.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface LocalApi {
  url: string;
  /** The serverless-offline process behind the front door. */
  offline: ChildProcess;
  close(): Promise<void>;
}

export interface LocalApiOptions {
  port: number;
  stage: string;
  /** The functions' environment (and serverless.yml's `${env:…}`). */
  env: NodeJS.ProcessEnv;
  /** Where serverless-offline's own output goes; `inherit` by default. */
  stdio?: 'inherit' | 'pipe' | 'ignore';
  /** serverless-offline in a process group of its own (its pid is the group's), as a supervisor wants it. */
  detached?: boolean;
}

/** Starts serverless-offline on a free loopback port and the front door on `port`; resolves once both listen. */
export async function startLocalApi({ port, stage, env, stdio = 'inherit', detached = false }: LocalApiOptions): Promise<LocalApi> {
  const upstreamPort = await freePort();
  const offline = spawn(process.execPath, [`${root}node_modules/serverless/bin/serverless.js`, 'offline', 'start', '--stage', stage], {
    cwd: root,
    stdio: ['ignore', stdio, stdio],
    env: { ...env, OFFLINE_HTTP_PORT: String(upstreamPort), SLS_LOG_LEVEL: 'warning' },
    detached,
  });
  const gateway = await startFrontDoor(port, upstreamPort);
  return {
    url: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`,
    offline,
    close: async () => {
      offline.kill('SIGTERM');
      gateway.closeAllConnections();
      await new Promise((resolve) => gateway.close(resolve));
    },
  };
}

/** A host name, IPv4 or bracketed IPv6 literal, with an optional port: what a Host header may hold. */
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);
const json = (status: number, body: unknown) => ({ status, body: Buffer.from(JSON.stringify(body)) });

function startFrontDoor(port: number, upstreamPort: number): Promise<ReturnType<typeof createServer>> {
  const server = createServer((req, res) => {
    const refusal = refuse(req);
    if (refusal) return reply(res, refusal.status, {}, refusal.body);
    // Without Origin (and a preflight's requests) neither serverless-offline nor hapi does any CORS.
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([name]) => name !== 'origin' && !name.startsWith('access-control-request-')),
    );
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
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
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
    ['content-type', String(headers['content-type'] ?? 'application/json')],
    ['content-length', String(body.length)],
  ].flat());
  res.end(body);
}
