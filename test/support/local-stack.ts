/**
 * The real `npm start` (scripts/start.ts: dynalite, serverless-offline behind its front door on http and
 * https, the console proxy, the demo agent) on free ports, in memory, as a test drives it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../scripts/local-dynamodb.js';
import { eventually } from './wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const STARTED = 'guest agent running for acme/vm-101';

export interface Stack {
  child: ChildProcess;
  output: () => string;
  /** http, https, Lambda, DynamoDB, console proxy, the agents' WebSocket API, S3. */
  ports: number[];
  url: string;
  httpsUrl: string;
  /** The guest agents' WebSocket API. */
  websocketUrl: string;
  /** The local S3 (s3rver) the console proxy records to. */
  s3Url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The pid a part announced (`<part> started (pid N)`). */
  pid(part: string): number;
  /** SIGKILLs the start script's whole group, if it still runs (its detached parts stop themselves or have their own). */
  kill(): void;
}

/**
 * The start script run directly, or (`viaNpm`) the README's own `npm start`, which finds node on PATH;
 * `env` adds settings of the stack's own (serverless.yml's `${env:…}`).
 */
export async function startStack({ viaNpm = false, env: extra = {} }: { viaNpm?: boolean; env?: Record<string, string> } = {}): Promise<Stack> {
  const [http, https, lambda, dynamo, proxy, websocket, s3] = (await freePorts(7)) as [number, number, number, number, number, number, number];
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HTTP_PORT: String(http),
    HTTPS_PORT: String(https),
    LAMBDA_PORT: String(lambda),
    DYNAMODB_PORT: String(dynamo),
    CONSOLE_PROXY_BASE_URL: `http://127.0.0.1:${proxy}`,
    WEBSOCKET_PORT: String(websocket),
    S3_PORT: String(s3),
    ...extra,
  };
  const [command, ...args] = viaNpm
    ? ['npm', 'start', '--', '--in-memory']
    : [process.execPath, '--import', 'tsx', 'scripts/start.ts', '--in-memory'];
  const child = spawn(command!, args, { cwd: root, env, detached: true });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const stack: Stack = {
    child,
    output: () => output,
    ports: [http, https, lambda, dynamo, proxy, websocket, s3],
    s3Url: `http://127.0.0.1:${s3}`,
    url: `http://127.0.0.1:${http}`,
    httpsUrl: `https://127.0.0.1:${https}`,
    websocketUrl: `ws://127.0.0.1:${websocket}`,
    exited,
    pid(part) {
      const pid = new RegExp(`^${part} started \\(pid (\\d+)\\)$`, 'm').exec(output)?.[1];
      if (!pid) throw new Error(`${part} announced no pid:\n${output}`);
      return Number(pid);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    },
  };
  await eventually(() => output.includes(STARTED) || child.exitCode !== null, 'npm start up', { timeoutMs: 240_000 });
  if (!output.includes(STARTED)) {
    stack.kill();
    throw new Error(`npm start did not come up:\n${output}`);
  }
  return stack;
}
