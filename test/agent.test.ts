/** The guest agent's building blocks, without a server: the sealed box and the shell quoting. */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../agent/agent.js';
import { eventually } from './support/wait.js';
import { open, parseAgentPublicKey, seal } from '../lib/core/guest-sealing.js';

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
    const { GuestAgent } = await import('../agent/agent.js');
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
