/**
 * `npm start` supervises what it starts: the real start script (dynalite, serverless-offline, the console
 * proxy, the demo VMs' screens, the demo agent) on free ports (the screens on the demo's own 5901–5904, or
 * told that another npm start holds them), in memory; one part is killed from outside, as a crash would, and
 * the script must stop the rest, exit 1 naming the part and why, and leave nothing running or listening.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { STARTED, startStack as start, type Stack } from '../support/local-stack.js';
import { eventually } from '../support/wait.js';

/** The parts that run in processes of their own. */
const PARTS = ['dynalite', 'serverless-offline', 'console proxy', 'demo screens'];

let running: Stack | undefined;

afterEach(() => {
  // Whatever a failed test leaves: the whole group of the start script.
  running?.kill();
  running = undefined;
});

async function startStack(options: { viaNpm?: boolean } = {}): Promise<Stack> {
  running = await start(options);
  return running;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Nothing of the stack is left: no pid alive (serverless-offline's whole group), no port listening. */
async function expectNothingLeft(stack: Stack, pids: number[]): Promise<void> {
  await eventually(async () => {
    const left = [...pids.filter(alive), ...(alive(-stack.pid('serverless-offline')) ? ['serverless-offline group'] : [])];
    const open = (await Promise.all(stack.ports.map(async (port) => ((await listening(port)) ? port : undefined)))).filter(Boolean);
    return left.length === 0 && open.length === 0 ? true : undefined;
  }, 'every part stopped and every port closed');
}

describe('npm start', () => {
  it.each(['serverless-offline', 'console proxy', 'demo screens', 'dynalite'])(
    'stops everything and exits 1 when %s dies',
    async (part) => {
      const stack = await startStack();
      const pids = PARTS.map((name) => stack.pid(name));
      process.kill(stack.pid(part), 'SIGKILL');

      expect(await stack.exited).toEqual({ code: 1, signal: null });
      expect(stack.output()).toContain(`npm start: ${part} killed by SIGKILL; stopping everything else`);
      await expectNothingLeft(stack, pids);
    },
    300_000,
  );

  it('runs the API handlers, the console proxy, the demo screens and the demo guest agent on Node 24', async () => {
    const stack = await startStack({ viaNpm: true });
    const pids = PARTS.map((name) => stack.pid(name));
    expect((await fetch(`http://127.0.0.1:${stack.ports[0]}/health`)).status).toBe(200);
    const output = stack.output();
    const nodeOf = (marker: string) =>
      output
        .split('\n')
        .filter((line) => line.includes(marker))
        .map((line) => /"nodeVersion":"([^"]+)"|on Node (\S+)\)/.exec(line)?.slice(1).find(Boolean));
    expect(nodeOf('"cold start"').length).toBeGreaterThan(0);
    // The local S3 beside dynalite, with the recording bucket, and the proxy recording to it.
    expect(output).toContain(`S3 (s3rver) on ${stack.s3Url}, bucket console-recordings, in a temporary folder`);
    const listing = await fetch(`${stack.s3Url}/console-recordings?list-type=2`);
    expect(listing.status).toBe(200);
    expect(await listing.text()).toContain('<Name>console-recordings</Name>');
    const proxyLine = output.split('\n').find((line) => line.includes('"console proxy listening"'));
    expect(JSON.parse(proxyLine!.slice(proxyLine!.indexOf('{')))).toMatchObject({ recordingBucket: 'console-recordings', recordingEndpoint: stack.s3Url });
    for (const marker of ['"cold start"', '"console proxy listening"', 'demo screens: ', STARTED]) {
      for (const version of nodeOf(marker)) expect(version, marker).toMatch(/^24\./);
      expect(nodeOf(marker).length, marker).toBeGreaterThan(0);
    }
    // Ctrl-C in a terminal signals the whole foreground group: npm and the start script alike.
    process.kill(-stack.child.pid!, 'SIGINT');
    await stack.exited;
    await expectNothingLeft(stack, pids);
  }, 300_000);

  it('stops everything and exits 0 on SIGTERM (Ctrl-C)', async () => {
    const stack = await startStack();
    const pids = PARTS.map((name) => stack.pid(name));
    stack.child.kill('SIGTERM');

    expect(await stack.exited).toEqual({ code: 0, signal: null });
    expect(stack.output()).not.toContain('npm start:');
    await expectNothingLeft(stack, pids);
  }, 300_000);
});
