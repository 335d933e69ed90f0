/**
 * The API over real HTTP, in the test process: a tiny node:http server that hands every request to the
 * real handlers through `api()` (the same route table and API Gateway v2 events). Long-running programs
 * that talk to the API over HTTP (the console proxy, the guest agent) are tested against it, and the test
 * keeps control of the shared clock (`advanceClock`) because the handlers run in its process.
 */
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate } from '../../scripts/self-signed-certificate.js';
import { api } from './api.js';

export interface ApiServer {
  /** `http://127.0.0.1:<port>` (`https://` with `tls`) */
  url: string;
  /** Requests served so far, as `METHOD /path` (never with bodies or headers: they can hold secrets). */
  requests: string[];
  close(): Promise<void>;
}

export interface ApiServerOptions {
  tls?: boolean;
  /** An API slow to answer (as under load): each request to `path` is answered `ms` later. */
  slow?: { path: string; ms: number };
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const requests: string[] = [];
  const listener: RequestListener = async (request, response) => {
    try {
      const path = request.url ?? '/';
      const pathname = new URL(path, 'http://x').pathname;
      requests.push(`${request.method} ${pathname}`);
      const body = await readBody(request);
      if (options.slow?.path === pathname) await new Promise((resolve) => setTimeout(resolve, options.slow!.ms));
      const headers = Object.fromEntries(
        Object.entries(request.headers).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value]] : [])),
      );
      const result = await api(request.method ?? 'GET', path, { headers, ...(body ? { body } : {}) });
      response.writeHead(result.status, result.headers);
      response.end(result.text);
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`test API server: ${(error as Error).message}`);
    }
  };
  const server = options.tls ? createTlsServer(selfSignedCertificate(), listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
