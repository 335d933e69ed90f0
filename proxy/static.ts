import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream';
import type { RequestTarget } from './request-target.js';
import { staticFiles } from './static-files.js';

// noVNC ships its ES modules (core/, vendor/pako) ready for the browser: served as they are.
const { pageDir, novncDir } = staticFiles();

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The console page URLs Nova (`vnc_auto.html`) and noVNC's own full client (`vnc.html`) hand out. */
const PAGES = new Set(['/vnc_auto.html', '/vnc.html', '/vnc_lite.html']);

/** The playback page (`/playback.html?token=<one-time token>`) and its own files. */
const PLAYBACK_FILES = new Set(['/playback.html', '/playback.js', '/playback-player.js', '/playback.css']);

// The page URL carries the ticket: no referrer may leak it, and nothing may cache it.
const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'",
};

/** The console page, noVNC's modules and `/health`; `pathname` is the request target's path as sent. */
export async function serveStatic(
  { path: pathname }: RequestTarget,
  request: IncomingMessage,
  response: ServerResponse,
  activeSessions: () => number,
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'Method Not Allowed');
  if (pathname === '/health') {
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    return void response.end(JSON.stringify({ status: 'ok', activeSessions: activeSessions() }));
  }
  if (PAGES.has(pathname)) return sendFile(response, join(pageDir, 'console.html'), PAGE_HEADERS);
  if (pathname === '/console.js' || pathname === '/console.css') return sendFile(response, join(pageDir, pathname.slice(1)), PAGE_HEADERS);
  if (PLAYBACK_FILES.has(pathname)) return sendFile(response, join(pageDir, pathname.slice(1)), PAGE_HEADERS);
  const novnc = /^\/novnc\/((?:core|vendor)\/[A-Za-z0-9_./-]+\.js)$/.exec(pathname);
  if (novnc) {
    const file = normalize(join(novncDir, novnc[1]!));
    if (file.startsWith(novncDir + sep)) return sendFile(response, file, { 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' });
  }
  send(response, 404, 'Not Found');
}

async function sendFile(response: ServerResponse, file: string, headers: Record<string, string>): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return send(response, 404, 'Not Found');
  response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': info.size, ...headers });
  if (response.req.method === 'HEAD') return void response.end();
  // A read error after the head is out can only cut the answer short: the browser sees a truncated file.
  pipeline(createReadStream(file), response, () => undefined);
}

export function send(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}
