/**
 * `npm run proxy` as an operator runs it: SIGTERM to npm reaches the proxy (the script execs Node, so no shell
 * sits between them and swallows it), which drains and stops listening.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { expect, it } from 'vitest';
import { DEMO_CONSOLE_PROXY_KEY } from '../../scripts/demo-data.js';
import { freePort, waitForPort } from '../support/browser-console.js';
import { eventually } from '../support/wait.js';

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true))).on('error', () => resolve(false));
  });

it('stops listening and exits 0 when npm is sent SIGTERM', async () => {
  const port = await freePort();
  const npm = spawn('npm', ['run', '--silent', 'proxy'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, CONSOLE_PROXY_KEY: DEMO_CONSOLE_PROXY_KEY, CONSOLE_PROXY_PORT: String(port), CONSOLE_PROXY_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  npm.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  await waitForPort(port, 120_000);
  npm.kill('SIGTERM');
  await eventually(async () => !(await listening(port)), 'the proxy stopped listening');
  expect(await exited).toBe(0);
  await eventually(() => log.join('').includes('"message":"console proxy stopped"'), 'the proxy logged its stop');
});
