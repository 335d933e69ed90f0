/**
 * Captures every log line of the suite and every secret the suite was issued, so that a leak anywhere — a log
 * line, an error body, a stored item — fails the run.
 *
 * One file, two roles (vitest runs test files in parallel forks, so nothing can be held in memory):
 * - globalSetup (main process): makes a capture folder and hands it to the workers with `provide`; at
 *   teardown, when every worker is done, checks every captured line and every item of every table.
 * - setupFiles (each worker): raises the log level to DEBUG, tees stdout/stderr and the console into
 *   `<folder>/log-<pid>.txt`, and `recordIssuedSecrets` (called by test/support/api.ts for every response)
 *   appends the secrets a response carried to `<folder>/secrets-<pid>.txt`.
 * Set LOG_CAPTURE=off to run without it.
 */
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/** The random part of a ticket, console token or session id (`<tenant>.<16-character scope>.<43 base64url characters>`). */
const ISSUED_SECRET = /[a-z0-9][a-z0-9-]{0,62}\.[A-Za-z0-9_-]{16}\.([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/g;
const BASE64URL_RUN = /[A-Za-z0-9_-]{43,}/g;
const INSTALLED = Symbol.for('console-broker.log-capture');

let folder: string | undefined;

const enabled = () => process.env.LOG_CAPTURE !== 'off';

// ---------------------------------------------------------------- worker role

/** The capture folder in a worker, or undefined when capture is off or not running under vitest. */
function workerFolder(): string | undefined {
  return (globalThis as Record<symbol, string | undefined>)[INSTALLED];
}

function installInWorker(dir: string): void {
  const global = globalThis as Record<symbol, string | undefined>;
  if (global[INSTALLED]) return;
  global[INSTALLED] = dir;
  process.env.LOG_LEVEL = 'DEBUG';
  const file = join(dir, `log-${process.pid}.txt`);
  const capture = (text: string) => appendFileSync(file, text.endsWith('\n') ? text : `${text}\n`);

  // The Powertools logger writes JSON lines to process.stdout through its own Console: keep them in the
  // file only (DEBUG for a whole suite would drown the test output); pass everything else through.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
      capture(text);
      if (/"service":"(console-broker|console-proxy|guest-agent)"/.test(text)) {
        const callback = rest.find((argument) => typeof argument === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      capture(args.map((argument) => (typeof argument === 'string' ? argument : safeJson(argument))).join(' '));
      original(...args);
    };
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Records the secrets in a handler's response (and the passwords of its request), for the final audit. */
export function recordIssuedSecrets(
  event: APIGatewayProxyEventV2,
  result: { statusCode?: number; body?: string; headers?: Record<string, unknown> },
): void {
  const dir = workerFolder();
  if (!dir) return;
  const found = new Set<string>();
  const responseText = `${result.body ?? ''}\n${Object.values(result.headers ?? {}).join('\n')}`;
  for (const match of responseText.matchAll(ISSUED_SECRET)) found.add(`secret ${match[1]}`);
  for (const password of passwordsIn(event)) found.add(`password ${password}`);
  if (found.size > 0) appendFileSync(join(dir, `secrets-${process.pid}.txt`), [...found].map((line) => `${line}\n`).join(''));
}

/** Record secrets the suite obtained without going through a handler (e.g. `issueTicket` called directly). */
export function recordSecret(value: string): void {
  const dir = workerFolder();
  if (!dir) return;
  const random = [...value.matchAll(ISSUED_SECRET)].map((match) => match[1]);
  appendFileSync(join(dir, `secrets-${process.pid}.txt`), random.map((part) => `secret ${part}\n`).join(''));
}

/**
 * Passwords a request carried (HTTP Basic, or any `password` field of a JSON body: logins, users, guest
 * credentials). Only distinctive ones are kept, so a fuzzed "aaaa" cannot match a log line by chance.
 */
function passwordsIn(event: APIGatewayProxyEventV2): string[] {
  const passwords: string[] = [];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(event.headers?.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    if (decoded.includes(':')) passwords.push(decoded.slice(decoded.indexOf(':') + 1));
  }
  const visit = (value: unknown, depth: number): void => {
    if (depth > 6 || value === null || typeof value !== 'object') return;
    for (const [name, inner] of Object.entries(value)) {
      if (/passw(or)?d/i.test(name) && typeof inner === 'string') passwords.push(inner);
      else visit(inner, depth + 1);
    }
  };
  try {
    visit(event.body ? JSON.parse(event.body) : undefined, 0);
  } catch {
    // not JSON: a SOAP body names its passwords in <password> elements (Login, NamePasswordAuthentication)
    for (const match of (event.body ?? '').matchAll(/<password(?:\s[^>]*)?>([^<]*)<\/password>/g)) passwords.push(match[1]!);
  }
  // A UUID sent as a password (the fuzz does) is some server's public id, stored in its VM item by design.
  const isUuid = (text: string) => /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(text);
  return passwords.filter(
    (password) => password.length >= 12 && new Set(password).size >= 6 && !/\n/.test(password) && !isUuid(password),
  );
}

// ---------------------------------------------------------------- the audit

export interface Leak {
  secret: string;
  where: string;
}

/** Every recorded secret found in a captured log line or a stored item of any table at `endpoint`. */
export async function findLeaks(dir: string, endpoint: string | undefined): Promise<{ secrets: number; lines: number; items: number; leaks: Leak[] }> {
  const randomParts = new Set<string>();
  const passwords = new Set<string>();
  for (const name of readdirSync(dir).filter((entry) => entry.startsWith('secrets-'))) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line.startsWith('secret ')) randomParts.add(line.slice(7));
      else if (line.startsWith('password ')) passwords.add(line.slice(9));
    }
  }
  const leaks: Leak[] = [];
  const check = (text: string, where: string) => {
    for (const run of text.matchAll(BASE64URL_RUN)) {
      for (let start = 0; start + 43 <= run[0].length; start += 1) {
        const window = run[0].slice(start, start + 43);
        if (randomParts.has(window)) leaks.push({ secret: `${window.slice(0, 6)}…`, where });
      }
    }
    for (const password of passwords) if (text.includes(password)) leaks.push({ secret: `password ${password.slice(0, 3)}…`, where });
  };

  let lines = 0;
  for (const name of readdirSync(dir).filter((entry) => entry.startsWith('log-'))) {
    const text = readFileSync(join(dir, name), 'utf8');
    lines += text.split('\n').length - 1;
    check(text, `log ${name}`);
  }
  let items = 0;
  if (endpoint) {
    const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const { TableNames = [] } = await client.send(new ListTablesCommand({}));
      for (const TableName of TableNames) {
        let ExclusiveStartKey: Record<string, any> | undefined;
        do {
          const page = await client.send(new ScanCommand({ TableName, ExclusiveStartKey }));
          items += page.Items?.length ?? 0;
          check(JSON.stringify(page.Items ?? []), `table ${TableName}`);
          ExclusiveStartKey = page.LastEvaluatedKey;
        } while (ExclusiveStartKey);
      }
    } finally {
      client.destroy();
    }
  }
  return { secrets: randomParts.size + passwords.size, lines, items, leaks };
}

// ---------------------------------------------------------------- global setup role

export function setup(project: TestProject): void {
  if (!enabled()) return;
  folder = mkdtempSync(join(tmpdir(), 'console-broker-logs-'));
  project.provide('logCaptureDir', folder);
}

export async function teardown(): Promise<void> {
  if (!folder) return;
  const result = await findLeaks(folder, process.env.DYNAMODB_ENDPOINT);
  if (result.leaks.length > 0) {
    process.exitCode = 1;
    console.error(`\nSECRET LEAK: ${result.leaks.length} recorded secret(s) found in logs or stored items (capture kept in ${folder}):`);
    for (const leak of result.leaks.slice(0, 20)) console.error(`  ${leak.secret} in ${leak.where}`);
    throw new Error(`secret leak audit failed: ${result.leaks.length} leak(s); see ${folder}`);
  }
  console.log(
    `secret audit: ${result.secrets} issued secrets, none in ${result.lines} log lines or ${result.items} stored items`,
  );
  rmSync(folder, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    logCaptureDir?: string;
  }
}

// Loaded as a setup file inside a worker: start capturing before the test file imports the handlers.
if (process.env.VITEST_POOL_ID && enabled()) {
  const { inject } = await import('vitest');
  const dir = inject('logCaptureDir');
  if (dir) installInWorker(dir);
}
