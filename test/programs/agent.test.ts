/** The guest agent's building blocks, without a server: the sealed box, the shell quoting, its credential's sources. */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../agent/supervisor.js';
import { freePorts } from '../../scripts/local-dynamodb.js';
import { eventually } from '../support/wait.js';
import { open, parseAgentPublicKey, seal } from '../../lib/protocol/sealing.js';

const keyPair = () => {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
};

describe('sealing guest credentials to an agent', () => {
  it('opens with the agent key and the same binding', () => {
    const agent = keyPair();
    const sealed = seal(agent.pem, '{"password":"demo-guest-pass"}', 'acme/vm-101/w1');
    expect(JSON.stringify(sealed)).not.toContain('demo-guest-pass');
    expect(open(agent.privateKey, sealed, 'acme/vm-101/w1')).toBe('{"password":"demo-guest-pass"}');
  });

  it('does not open with another key, under another binding, or altered', () => {
    const agent = keyPair();
    const sealed = seal(agent.pem, 'secret', 'acme/vm-101/w1');
    expect(() => open(keyPair().privateKey, sealed, 'acme/vm-101/w1')).toThrow();
    expect(() => open(agent.privateKey, sealed, 'acme/vm-101/w2')).toThrow();
    const flipped = Buffer.from(sealed.ct, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => open(agent.privateKey, { ...sealed, ct: flipped.toString('base64url') }, 'acme/vm-101/w1')).toThrow();
  });

  it('accepts only X25519 public keys', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(parseAgentPublicKey(keyPair().pem)).toBeDefined();
    expect(parseAgentPublicKey(rsa)).toBeUndefined();
    expect(parseAgentPublicKey('not a key')).toBeUndefined();
  });
});

describe('shellQuote', () => {
  it.each(["/bin/echo", "/tmp/it's here", '/tmp/$(touch x) `y` "z"'])('passes %s to bash as one word', (path) => {
    expect(execFileSync('/bin/bash', ['-c', `printf %s ${shellQuote(path)}`], { encoding: 'utf8' })).toBe(path);
  });
});

describe('polling for work', () => {
  it('slows down while idle, doubling up to the ceiling, so an idle VM costs few calls', async () => {
    const { createServer } = await import('node:http');
    const { GuestAgent } = await import('../../agent/agent.js');
    const claimTimes: number[] = [];
    const server = createServer((request, response) => {
      if (request.url === '/agent/v1/claims') claimTimes.push(Date.now());
      const body = request.url === '/agent/v1/registration' ? { tenantId: 't', moId: 'vm-1', guestOsFamily: 'linux' } : undefined;
      response.writeHead(body ? 200 : 204, { 'content-type': 'application/json' }).end(body ? JSON.stringify(body) : '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    const agent = new GuestAgent({
      apiUrl: `http://127.0.0.1:${port}`,
      credential: 't.vm-1.x',
      accounts: [],
      pollIntervalMs: 10,
      maxPollIntervalMs: 160,
      heartbeatIntervalMs: 60_000,
    });
    await agent.start();
    await eventually(() => claimTimes.length >= 10, '10 claims');
    await agent.stop();
    server.close();
    const gaps = claimTimes.slice(1, 10).map((time, index) => time - claimTimes[index]!);
    // 10, 20, 40, 80, then 160 ms each: timers only ever fire late, so each gap is at least its step...
    gaps.forEach((gap, index) => expect(gap, `gap ${index}`).toBeGreaterThanOrEqual(Math.min(10 * 2 ** index, 160) - 2));
    // ...and the ceiling holds: without it the ninth gap would be 2,560 ms (room for a loaded machine's late timers).
    expect(Math.max(...gaps)).toBeLessThan(2000);
  });
});

describe('the agent program (agent/main.ts) takes its credential only from a private file', () => {
  const CREDENTIAL = 'acme.vm-101.CREDENTIALxCREDENTIALxCREDENTIALxCREDENTIALxCRE';

  /** Runs agent/main.ts with a config and environment; it must refuse before it ever calls the API. */
  function runAgent(config: Record<string, unknown>, env: Record<string, string> = {}, fileMode = 0o600) {
    const dir = mkdtempSync(join(tmpdir(), 'agent-main-'));
    writeFileSync(join(dir, 'credential'), CREDENTIAL);
    chmodSync(join(dir, 'credential'), fileMode); // exactly this mode, whatever the umask
    const configPath = join(dir, 'agent.json');
    writeFileSync(configPath, JSON.stringify({ apiUrl: 'http://127.0.0.1:9', accounts: [], ...config }).replace('$DIR', dir));
    return new Promise<{ code: number | null; output: string; dir: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'agent/main.ts', configPath], { env: { PATH: process.env.PATH, ...env } }, (error, stdout, stderr) => {
        rmSync(dir, { recursive: true, force: true });
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, output: stdout + stderr, dir });
      });
    });
  }

  const refusal = (message: string) => `${JSON.stringify({ level: 'ERROR', service: 'guest-agent', message })}\n`;

  it('refuses AGENT_CREDENTIAL in its environment, where any program of its user could read it', async () => {
    const { code, output } = await runAgent({ credentialFile: '$DIR/credential' }, { AGENT_CREDENTIAL: CREDENTIAL });
    expect(code).toBe(1);
    expect(output).toBe(
      refusal(
        'AGENT_CREDENTIAL in the environment is refused: programs could read it from /proc/<pid>/environ. ' +
          'Put the credential in a file only the agent user can read (chmod 600) and name it in AGENT_CREDENTIAL_FILE.',
      ),
    );
  });

  it('refuses a credential in the config file', async () => {
    const { code, output } = await runAgent({ credential: CREDENTIAL });
    expect(code).toBe(1);
    expect(output).toBe(refusal('"credential" in the config is refused: name a private file in "credentialFile" instead.'));
  });

  it.each(['0644', '0640', '0604', '0660', '0602'])('refuses a credential file of mode %s, which others may read or write', async (octal) => {
    const { code, output, dir } = await runAgent({ credentialFile: '$DIR/credential' }, {}, parseInt(octal, 8));
    expect(code).toBe(1);
    expect(output).toBe(
      refusal(`The agent credential file ${dir}/credential is accessible to group or others (mode ${octal}); refusing to start. Run: chmod 600 ${dir}/credential`),
    );
    expect(output).not.toContain(CREDENTIAL);
  });

  it('reads a private file named by AGENT_CREDENTIAL_FILE, goes on to enrol, and keeps retrying while the API is down, saying why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-main-'));
    const configPath = join(dir, 'agent.json');
    writeFileSync(join(dir, 'credential'), CREDENTIAL, { mode: 0o600 });
    // A port nothing listens on: enrolment fails with a refused connection, as when the API is down at boot.
    const [port] = await freePorts(1);
    writeFileSync(configPath, JSON.stringify({ apiUrl: `http://127.0.0.1:${port}`, accounts: [], enrolRetryBaseMs: 50, enrolRetryCapMs: 200 }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'agent/main.ts', configPath], {
      env: { PATH: process.env.PATH, AGENT_CREDENTIAL_FILE: join(dir, 'credential') },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const retries = () => output.split('\n').filter((line) => line.includes('could not reach the API to enrol; retrying in'));
      await eventually(() => retries().length >= 3, 'three enrolment retries');
      expect(JSON.parse(retries()[0]!)).toEqual({
        level: 'INFO',
        service: 'guest-agent',
        message: expect.stringMatching(/^could not reach the API to enrol; retrying in \d+ ms$/),
        reason: 'fetch failed (ECONNREFUSED)',
      });
      expect(child.exitCode).toBeNull();
      expect(output).not.toContain(CREDENTIAL);
      child.kill('SIGTERM');
      // Stopped while it still tries to enrol: a clean exit.
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('isolation, said at start', () => {
  it("says plainly when every guest account runs as the agent's own user and is not isolated", async () => {
    const { createServer } = await import('node:http');
    const { GuestAgent } = await import('../../agent/agent.js');
    const server = createServer((request, response) => {
      const body = request.url === '/agent/v1/registration' ? { tenantId: 't', moId: 'vm-1', guestOsFamily: 'linux' } : undefined;
      response.writeHead(body ? 200 : 204, { 'content-type': 'application/json' }).end(body ? JSON.stringify(body) : '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    const logs: { message: string; fields?: Record<string, unknown> }[] = [];
    const agent = new GuestAgent({
      apiUrl: `http://127.0.0.1:${port}`,
      credential: 't.vm-1.x',
      accounts: [],
      runAs: 'agent',
      heartbeatIntervalMs: 60_000,
      log: (message, fields) => logs.push({ message, fields }),
    });
    await agent.start();
    await agent.stop();
    server.close();
    expect(logs[0]).toEqual({
      message:
        `not isolated: every guest account's programs run as the agent's own OS user (${userInfo().username}); ` +
        "they can read the agent's memory and files, including its credential, and end each other's programs",
      fields: { runAs: 'agent' },
    });
  });
});
