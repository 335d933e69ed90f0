/**
 * The console proxy over raw sockets, as an attacker can reach it: odd request targets (absolute-,
 * authority- and asterisk-form, `//`, backslashes, bad percent-encoding, bytes outside RFC 3986), odd
 * methods, versions and headers, plain HTTP and WebSocket upgrades with and without ticket-shaped tokens.
 * Every request must get an HTTP answer (or, once upgraded, a WebSocket close), the proxy must keep
 * serving, nothing may reach its last-resort guard (that would be a bug), and no token may be logged.
 * The proxy redeems against the real API over HTTP (test/support/http-server.ts).
 */
import fc from 'fast-check';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { captureOutput, CONSOLE_PAGE_ORIGIN, proxyConfig } from '../support/console-fixtures.js';
import { startApiServer, type ApiServer } from '../support/http-server.js';

const SEED = process.env.FUZZ_SEED === 'random' ? undefined : Number(process.env.FUZZ_SEED || 20_261_201);
const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const UPGRADE = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': WS_KEY };
/** What an HTTP answer of the proxy (or of Node's parser in front of it) may be: never a 5xx. */
const HTTP_ANSWERS = new Set([101, 200, 400, 403, 404, 405, 426, 431]);

let apiServer: ApiServer;
let proxy: ConsoleProxy;
let port: number;
const logged: string[] = [];
const tokens = new Set<string>();
let restoreOutput: () => void;

beforeAll(async () => {
  apiServer = await startApiServer();
  proxy = await startConsoleProxy(proxyConfig(apiServer.url));
  port = proxy.port;
  restoreOutput = captureOutput((text) => logged.push(text));
});

afterAll(async () => {
  restoreOutput();
  await proxy.close();
  await apiServer.close();
});

interface Answer {
  /** The status of the HTTP answer, 0 if the connection closed without one. */
  status: number;
  /** After a 101: the close code the proxy sent (0 if none came). */
  closeCode?: number;
}

/** Sends `request` as it is and reads the first answer (and, after a 101, the proxy's close frame). */
function exchange(request: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 20 s to ${JSON.stringify(request.toString('latin1'))}`));
    }, 20_000);
    const finish = (answer: Answer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const parse = (ended: boolean) => {
      const head = received.indexOf('\r\n\r\n');
      if (head < 0) return ended && finish({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(received.toString('latin1'))?.[1] ?? 0) });
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(received.subarray(0, head).toString('latin1'))?.[1] ?? 0);
      // 100 Continue is interim: the answer follows it.
      if (status === 100) {
        received = received.subarray(head + 4);
        return parse(ended);
      }
      if (status !== 101) return finish({ status });
      const frame = received.subarray(head + 4);
      // A close frame from the server: 0x88, unmasked length, then the code.
      if (frame.length >= 4 && frame[0] === 0x88) return finish({ status, closeCode: frame.readUInt16BE(2) });
      if (ended) finish({ status, closeCode: 0 });
    };
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      parse(false);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => parse(true));
    socket.write(request);
  });
}

function rawRequest(method: string, target: string, version: string, headers: Array<[string, string]>): Buffer {
  const lines = [`${method} ${target} ${version}`, ...headers.map(([name, value]) => `${name}: ${value}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

// ---------------------------------------------------------------- arbitraries

/** Characters that keep a request line a line (no CR or LF); every other byte is fair game. */
const lineSafe = (text: string) => text.replace(/[\r\n]/g, '');
const base64url = fc.base64String({ minLength: 44, maxLength: 44 }).map((text) => text.slice(0, 43).replace(/\+/g, '-').replace(/\//g, '_'));

/** Ticket-shaped tokens (remembered, to look for in the log), oversized ones, and junk. */
const token = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('acme', 'globex', 'x', ''), base64url).map(([tenant, secret]) => {
    tokens.add(secret);
    return `${tenant}.${secret}`;
  }) },
  { weight: 2, arbitrary: fc.constantFrom('', '.', 'a'.repeat(600), `acme.${'A'.repeat(700)}`, '%', '%zz', '%00', '\u00ff', '..') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }).map(lineSafe) },
);

const encodeOrNot = (text: string) =>
  fc.constantFrom(text, encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '')), text.replace(/\./g, '%2E'), text.replace(/\./g, '%2e%2'));

const segment = fc.oneof(
  fc.constantFrom('', '.', '..', '%2e%2e', '%2E%2E', '%', '%zz', '%00', '%2F', 'ticket', 'websockify', 'novnc', 'core', 'vendor', 'rfb.js',
    'vnc_auto.html', 'vnc.html', 'health', 'console.js', '\\', '[', ']', '@', ':', '*', '?', '#', ';', '~', '\u00e9', '\u00ff\u0080'),
  fc.string({ unit: 'binary-ascii', maxLength: 12 }).map(lineSafe),
);

const consolePath = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('/', '/websockify', '/vnc_auto.html', '/vnc.html', '/health', '/novnc/core/rfb.js', '/console.js', '/ticket/') },
  { weight: 4, arbitrary: token.chain(encodeOrNot).map((t) => `/ticket/${t}`) },
  { weight: 3, arbitrary: fc.array(segment, { maxLength: 5 }).map((segments) => `/${segments.join('/')}`) },
  { weight: 1, arbitrary: fc.constantFrom('//', '', '/\\', '/ticket//x') },
  { weight: 1, arbitrary: fc.array(segment, { maxLength: 4 }).map((segments) => `//${segments.join('/')}`) },
);

const query = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 5, arbitrary: token.chain(encodeOrNot).map((t) => `?token=${t}`) },
  { weight: 1, arbitrary: fc.tuple(token, token).map(([a, b]) => `?token=${a}&token=${b}`) },
  { weight: 1, arbitrary: token.map((t) => `?path=%3Ftoken%3D${t}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 20 }).map((text) => `?${lineSafe(text)}`) },
);

const requestTarget = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(consolePath, query).map(([path, q]) => path + q) },
  // absolute-form
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('http://', 'https://', 'ws://', 'HTTP://', 'http:', 'file://', 'javascript:'),
    fc.constantFrom('[', '[::1]', '127.0.0.1:6080', '2130706433', 'a@b', '', 'console.test', '0x7f.0.0.1'), consolePath, query).map((parts) => parts.join('')) },
  // authority-form and asterisk-form
  { weight: 1, arbitrary: fc.constantFrom('127.0.0.1:6080', 'console.test:443', '[::1]:80', '*', ':', '@', '[') },
  // anything on one line, spaces included (which shift the version)
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map(lineSafe) },
);

const method = fc.oneof(
  { weight: 10, arbitrary: fc.constant('GET') },
  { weight: 3, arbitrary: fc.constantFrom('HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'get', 'M-SEARCH', 'PRI', 'SOURCE') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 8 }).map(lineSafe) },
);

const version = fc.oneof(
  { weight: 20, arbitrary: fc.constant('HTTP/1.1') },
  { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'http/1.1', 'HTTP/1.1 x', '') },
);

const origin = fc.oneof(
  { weight: 10, arbitrary: fc.constant(CONSOLE_PAGE_ORIGIN) },
  { weight: 3, arbitrary: fc.constantFrom('HTTP://console.test', 'http://console.test/', 'http://console.test:80', 'http://u@console.test',
    'null', '', 'http://evil.test', `${CONSOLE_PAGE_ORIGIN}, ${CONSOLE_PAGE_ORIGIN}`, 'http://[', '\u00ff') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map(lineSafe) },
);

const oddHeader = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<[string, string]>(
    ['Host', ''], ['Host', '['], ['Host', 'a, b'], ['Content-Length', '5'], ['Content-Length', '-1'], ['Content-Length', 'x'],
    ['Transfer-Encoding', 'chunked'], ['Transfer-Encoding', 'gzip, chunked'], ['Expect', '100-continue'], ['Connection', 'keep-alive'],
    ['Sec-WebSocket-Key', ''], ['Sec-WebSocket-Version', '8'], ['Sec-WebSocket-Protocol', 'binary, base64'], ['Sec-WebSocket-Protocol', ','],
    ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits'], ['Upgrade', 'h2c'], ['X-Forwarded-For', '::1'], [' Bad', 'x'], ['Bad Name', 'x'],
    ['Origin', 'http://evil.test'], ['X-Long', 'x'.repeat(20_000)], ['Cookie', 'token=acme.x'],
  ) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 40 })).map(
    ([name, value]): [string, string] => [lineSafe(name).replace(/:/g, '') || 'x', lineSafe(value)],
  ) },
);

const oddHeaders = fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 2, arbitrary: fc.array(oddHeader, { minLength: 1, maxLength: 2 }) });

const plainRequest = fc
  .tuple(method, requestTarget, version, fc.option(origin, { nil: undefined }), fc.array(oddHeader, { maxLength: 2 }))
  .map(([m, target, v, o, headers]) => ({ upgrade: false, bytes: rawRequest(m, target, v, [['Host', '127.0.0.1'], ...(o === undefined ? [] : [['Origin', o] as [string, string]]), ...headers]) }));

const upgradeRequest = fc
  .tuple(
    fc.oneof({ weight: 6, arbitrary: fc.constant('GET') }, { weight: 1, arbitrary: method }),
    requestTarget,
    version,
    fc.option(origin, { nil: undefined, freq: 10 }),
    oddHeaders,
  )
  .map(([m, target, v, o, headers]) => ({
    upgrade: true,
    bytes: rawRequest(m, target, v, [
      ['Host', '127.0.0.1'],
      ...Object.entries(UPGRADE).map(([name, value]): [string, string] => [name, value]),
      ...(o === undefined ? [] : [['Origin', o] as [string, string]]),
      ...headers,
    ]),
  }));

/** Requests the property must survive whatever the seed: the ones that used to end the process. */
const HOSTILE = [
  rawRequest('GET', '//', 'HTTP/1.1', [['Host', '127.0.0.1']]),
  rawRequest('GET', 'http://[', 'HTTP/1.1', [['Host', '127.0.0.1']]),
  rawRequest('GET', `//?token=acme.${'Q'.repeat(16)}.${'Q'.repeat(43)}`, 'HTTP/1.1', [['Host', '127.0.0.1'], ['Origin', CONSOLE_PAGE_ORIGIN], ...Object.entries(UPGRADE)]),
  rawRequest('GET', '/\\[', 'HTTP/1.1', [['Host', '127.0.0.1'], ['Origin', CONSOLE_PAGE_ORIGIN], ...Object.entries(UPGRADE)]),
  rawRequest('CONNECT', '127.0.0.1:6080', 'HTTP/1.1', [['Host', '127.0.0.1:6080']]),
  rawRequest('OPTIONS', '*', 'HTTP/1.1', [['Host', '127.0.0.1']]),
];

// ---------------------------------------------------------------- properties

/** Whether an answer is one the proxy may give: an HTTP status it uses, or after 101 a policy close. */
function answerProblem(answer: Answer, upgrade: boolean): string | undefined {
  if (!HTTP_ANSWERS.has(answer.status)) return `answered ${answer.status || 'nothing'}`;
  if (answer.status === 101 && !upgrade) return 'upgraded a plain request';
  // After the upgrade the only tickets are forged or malformed: refused as invalid, never an outage (1011).
  if (answer.status === 101 && answer.closeCode !== 1008) return `closed the console with ${answer.closeCode}`;
  return undefined;
}

const alive = async () => (await fetch(`${proxy.url}/health`)).status === 200;

describe('console proxy under hostile requests', () => {
  it.each(HOSTILE.map((bytes) => [JSON.stringify(bytes.toString('latin1').split('\r\n')[0]), bytes] as const))('answers %s and keeps serving', async (_line, bytes) => {
    const answer = await exchange(bytes);
    expect([400, 404, 405]).toContain(answer.status);
    expect(await alive()).toBe(true);
  });

  it.each([
    ['plain HTTP', plainRequest, 1000],
    ['WebSocket upgrades', upgradeRequest, 1000],
  ] as const)('answers every fuzzed %s request and stays up', async (kind, arbitrary, numRuns) => {
    logged.length = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ bytes, upgrade }) => {
        const answer = await exchange(bytes);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const problem = answerProblem(answer, upgrade);
        if (problem) throw new Error(`${problem} to ${JSON.stringify(bytes.toString('latin1'))}`);
      }),
      { numRuns, seed: SEED, endOnFailure: true },
    );
    expect(await alive()).toBe(true);
    // The fuzz reaches every stage: refused targets, routes, and (for upgrades) redemption after a 101.
    expect(statuses.get(400)).toBeGreaterThan(numRuns / 50);
    expect(statuses.get(kind === 'plain HTTP' ? 200 : 101)).toBeGreaterThan(numRuns / 50);
    const log = logged.join('');
    expect(log).not.toContain('console proxy request failed');
    expect(log).not.toContain('"level":"ERROR"');
    expect([...tokens].filter((secret) => log.includes(secret))).toEqual([]);
  }, 300_000);
});
