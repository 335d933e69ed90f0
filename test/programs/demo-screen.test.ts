/**
 * The demo VMs' VNC server (scripts/demo-screen/) over real TCP, as a VNC client speaks to it: the RFB 3.8
 * handshake (3.7 and 3.3 too), security type None, Raw updates in the client's pixel format, incremental
 * updates of what changed, keys, the pointer, Ctrl+Alt+Del and cut text; refusals close only that client,
 * and random bytes never take the server down.
 */
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoScreens } from '../../scripts/demo-data.js';
import { startRfbServer, type RfbServer } from '../../scripts/demo-screen/rfb.js';
import { BAND_HEIGHT, DemoScreen } from '../../scripts/demo-screen/screen.js';
import { XVNC } from '../../scripts/demo-screen/xvnc.js';
import { eventually } from '../support/wait.js';

const SEED = process.env.FUZZ_SEED === 'random' ? undefined : Number(process.env.FUZZ_SEED || 20_261_201);
const WEB_01 = demoScreens().find((screen) => screen.name === 'web-01')!;
const CLOCK = new Date('2026-12-01T09:30:00Z');
/** noVNC's own SetPixelFormat: 32 bpp, depth 24, little-endian, true colour, red at bit 0, blue at bit 16. */
const NOVNC_FORMAT = [32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16, 0, 0, 0];
const RGB565_BIG_ENDIAN = [16, 16, 1, 1, 0, 31, 0, 63, 0, 31, 11, 5, 0, 0, 0, 0];
const KEY = { returnKey: 0xff0d, controlL: 0xffe3, altL: 0xffe9, deleteKey: 0xffff };

/** A VNC client over TCP that reads exactly what it expects. */
class Client {
  private received = Buffer.alloc(0);
  private waiting?: () => void;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<Client> {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new Client(socket);
  }

  send(...bytes: (number[] | Buffer)[]): void {
    this.socket.write(Buffer.concat(bytes.map((part) => Buffer.from(part))));
  }

  async receive(length: number): Promise<Buffer> {
    await this.until(() => this.received.length >= length, `${length} bytes from the VNC server`);
    if (this.received.length < length) throw new Error(`closed after ${this.received.length} of ${length} bytes`);
    const out = this.received.subarray(0, length);
    this.received = this.received.subarray(length);
    return out;
  }

  /** Everything received until the server closed the connection. */
  async untilClosed(): Promise<Buffer> {
    await this.until(() => false, 'the VNC server to close the connection');
    return this.received;
  }

  /** Waits for `done` or the connection's end, woken by each chunk (generous: a busy machine is slow). */
  private async until(done: () => boolean, what: string): Promise<void> {
    const timer = setTimeout(() => this.socket.destroy(new Error(`${what}: not within 60 s`)), 60_000);
    while (!done() && !this.closed) await new Promise<void>((resolve) => (this.waiting = resolve));
    clearTimeout(timer);
  }

  /** Version 3.8, security None, shared: returns ServerInit's size, pixel format and name. */
  async handshake(): Promise<{ width: number; height: number; format: number[]; name: string }> {
    expect((await this.receive(12)).toString()).toBe('RFB 003.008\n');
    this.send(Buffer.from('RFB 003.008\n'));
    expect([...(await this.receive(2))]).toEqual([1, 1]);
    this.send([1]);
    expect([...(await this.receive(4))]).toEqual([0, 0, 0, 0]);
    this.send([1]);
    return this.serverInit();
  }

  async serverInit() {
    const init = await this.receive(24);
    const name = await this.receive(init.readUInt32BE(20));
    return { width: init.readUInt16BE(0), height: init.readUInt16BE(2), format: [...init.subarray(4, 20)], name: name.toString() };
  }

  /** One FramebufferUpdate: its rectangles, each with its Raw pixels. */
  async update(bytesPerPixel: number): Promise<{ x: number; y: number; width: number; height: number; pixels: Buffer }[]> {
    const head = await this.receive(4);
    expect(head[0]).toBe(0);
    const rects = [];
    for (let index = 0; index < head.readUInt16BE(2); index += 1) {
      const rect = await this.receive(12);
      const [x, y, width, height] = [0, 2, 4, 6].map((at) => rect.readUInt16BE(at)) as [number, number, number, number];
      expect(rect.readInt32BE(8)).toBe(0); // Raw
      rects.push({ x, y, width, height, pixels: await this.receive(width * height * bytesPerPixel) });
    }
    return rects;
  }

  close(): void {
    this.socket.destroy();
  }
}

const u16 = (value: number) => [value >> 8, value & 0xff];
const u32 = (value: number) => [(value >>> 24) & 0xff, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
const setPixelFormat = (format: number[]) => [0, 0, 0, 0, ...format];
const updateRequest = (incremental: boolean, x = 0, y = 0, width = 800, height = 600) => [3, incremental ? 1 : 0, ...u16(x), ...u16(y), ...u16(width), ...u16(height)];
const keyEvent = (down: boolean, keysym: number) => [4, down ? 1 : 0, 0, 0, ...u32(keysym)];
const pointerEvent = (buttons: number, x: number, y: number) => [5, buttons, ...u16(x), ...u16(y)];
const type = (text: string) => [...text].flatMap((char) => [...keyEvent(true, char.charCodeAt(0)), ...keyEvent(false, char.charCodeAt(0))]);

let screen: DemoScreen;
let server: RfbServer;
const logged: string[] = [];

beforeAll(async () => {
  screen = new DemoScreen(WEB_01, { now: () => CLOCK });
  server = await startRfbServer(screen, { port: 0, log: (message, fields) => logged.push(JSON.stringify({ message, ...fields })) });
});

afterAll(async () => {
  await server.close();
});

describe('the demo VNC server', () => {
  it("answers a 3.8 handshake with None and ServerInit naming the VM, then sends web-01's screen in noVNC's format", async () => {
    const client = await Client.open(server.port);
    expect(await client.handshake()).toEqual({
      width: 800,
      height: 600,
      format: [32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0],
      name: 'web-01',
    });
    client.send(setPixelFormat(NOVNC_FORMAT), [2, 0, 0, 2, ...u32(0), ...u32(-223 >>> 0)], updateRequest(false));
    const rects = await client.update(4);
    expect(rects.map(({ x, y, width, height }) => ({ x, y, width, height }))).toEqual([{ x: 0, y: 0, width: 800, height: 600 }]);
    // The band's colour (#2e7d32) at the top left: red, green, blue, 0 in noVNC's little-endian format.
    expect([...rects[0]!.pixels.subarray(0, 4)]).toEqual([0x2e, 0x7d, 0x32, 0]);
    const below = (BAND_HEIGHT + 2) * 800 * 4;
    expect([...rects[0]!.pixels.subarray(below, below + 4)]).toEqual([0x10, 0x14, 0x18, 0]);
    client.close();
  });

  it("honours another true-colour format: 16-bit RGB 5-6-5, big-endian", async () => {
    const client = await Client.open(server.port);
    await client.handshake();
    client.send(setPixelFormat(RGB565_BIG_ENDIAN), updateRequest(false, 0, 0, 4, 4));
    const [rect] = await client.update(2);
    expect(rect).toMatchObject({ x: 0, y: 0, width: 4, height: 4 });
    const expected = (Math.round((0x2e * 31) / 255) << 11) | (Math.round((0x7d * 63) / 255) << 5) | Math.round((0x32 * 31) / 255);
    expect(rect!.pixels.readUInt16BE(0)).toBe(expected);
    client.close();
  });

  it('holds an incremental request until something changes, then sends only what changed; keys and the pointer reach the screen', async () => {
    const client = await Client.open(server.port);
    await client.handshake();
    client.send(setPixelFormat(NOVNC_FORMAT), updateRequest(false));
    await client.update(4);
    const keysBefore = screen.keysReceived;
    client.send(updateRequest(true));
    // Nothing changed (the clock is stopped): no update comes, however long the server gets; an update the
    // server sent anyway would be here before the answer to the key below.
    client.send(type('hello'));
    const rects = await client.update(4);
    expect(rects.length).toBeGreaterThan(0);
    expect(rects.every((rect) => rect.width * rect.height < 800 * 600 / 4)).toBe(true);
    await eventually(() => screen.line === 'hello', 'the typed line on the screen');
    client.send(keyEvent(true, KEY.returnKey), keyEvent(false, KEY.returnKey), pointerEvent(1, 123, 456));
    await eventually(() => screen.pointer.x === 123 && screen.pointer.y === 456, 'the pointer moved');
    expect(screen.entered.at(-1)).toBe('hello');
    expect(screen.line).toBe('');
    expect(screen.keysReceived).toBe(keysBefore + 6);
    expect(screen.pointer).toEqual({ x: 123, y: 456, buttons: 1 });
    client.close();
  });

  it('answers Ctrl+Alt+Del visibly, pastes cut text into the line', async () => {
    const client = await Client.open(server.port);
    await client.handshake();
    const before = screen.ctrlAltDeletes;
    client.send(keyEvent(true, KEY.controlL), keyEvent(true, KEY.altL), keyEvent(true, KEY.deleteKey));
    client.send(keyEvent(false, KEY.deleteKey), keyEvent(false, KEY.altL), keyEvent(false, KEY.controlL));
    await eventually(() => screen.ctrlAltDeletes === before + 1, 'Ctrl+Alt+Del received');
    const text = Buffer.from('pasted');
    client.send([6, 0, 0, 0, ...u32(text.length)], text);
    await eventually(() => screen.line.endsWith('pasted'), 'the pasted text in the line');
    client.close();
  });

  it('speaks 3.3 (the server picks None) and 3.7 (no SecurityResult for None)', async () => {
    const old = await Client.open(server.port);
    await old.receive(12);
    old.send(Buffer.from('RFB 003.003\n'));
    expect([...(await old.receive(4))]).toEqual([0, 0, 0, 1]);
    old.send([1]);
    expect((await old.serverInit()).name).toBe('web-01');
    old.close();
    const seven = await Client.open(server.port);
    await seven.receive(12);
    seven.send(Buffer.from('RFB 003.007\n'));
    expect([...(await seven.receive(2))]).toEqual([1, 1]);
    seven.send([1, 1]);
    expect((await seven.serverInit()).name).toBe('web-01');
    seven.close();
  });

  it.each([
    ['another protocol', [...Buffer.from('GET / HTTP/1.1\r\n')], Buffer.from('RFB 003.008\n')],
    ['a security type not offered (VNC authentication)', [...Buffer.from('RFB 003.008\n'), 2],
      Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1, 1, 0, 0, 0, 1, 0, 0, 0, 35]), Buffer.from('Only security type None is offered.')])],
  ])('closes a client that sends %s, saying why where RFB can', async (_what, bytes, answer) => {
    const client = await Client.open(server.port);
    client.send(bytes);
    expect(await client.untilClosed()).toEqual(answer);
  });

  it.each([
    ['a colour-map pixel format', setPixelFormat([8, 8, 0, 0, 0, 7, 0, 7, 0, 3, 5, 2, 0, 0, 0, 0]), 'pixel format refused: colour-map formats are not supported'],
    ['a pixel format with 24 bits per pixel', setPixelFormat([24, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]), 'pixel format refused: 24 bits per pixel'],
    ['a colour channel outside the pixel', setPixelFormat([16, 16, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]), 'pixel format refused: a colour channel does not fit the pixel'],
    ['an unknown message type', [99, 1, 2, 3], 'unknown client message type 99'],
    ['a cut text over 256 KiB', [6, 0, 0, 0, ...u32(256 * 1024 + 1)], 'cut text too long'],
  ])('closes only the client that sends %s, and logs why', async (_what, bytes, why) => {
    const client = await Client.open(server.port);
    await client.handshake();
    client.send(bytes);
    await client.untilClosed();
    expect(logged.some((line) => line.includes(`"why":"${why}"`))).toBe(true);
    const next = await Client.open(server.port);
    expect((await next.handshake()).name).toBe('web-01');
    next.close();
  });

  it('survives random bytes, before and after the handshake, and keeps serving', async () => {
    const message = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((bytes) => [...bytes]),
      fc.constantFrom(0, 2, 3, 4, 5, 6).chain((kind) => fc.uint8Array({ maxLength: 24 }).map((rest) => [kind, ...rest])),
      fc.tuple(fc.boolean(), fc.nat(900), fc.nat(700), fc.nat(900), fc.nat(700)).map(([incremental, x, y, w, h]) => updateRequest(incremental, x, y, w, h)),
      fc.array(fc.nat(255), { minLength: 16, maxLength: 16 }).map(setPixelFormat),
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(message, { maxLength: 8 }), async (handshake, messages) => {
        const client = await Client.open(server.port);
        if (handshake) await client.handshake();
        client.send(messages.flat());
        // The server answers a request it can serve or closes the connection; either way it must still accept.
        client.close();
        const next = await Client.open(server.port);
        expect((await next.handshake()).name).toBe('web-01');
        next.close();
      }),
      { numRuns: 500, seed: SEED },
    );
    await eventually(() => server.connections() === 0, 'every fuzz connection closed');
    // A client closed for what it sent says why; `failed:` would be an exception of the server's own.
    expect(logged.filter((line) => line.includes('"why":"failed:'))).toEqual([]);
  }, 300_000);
});

describe('npm run demo-screens (scripts/demo-screen/main.ts)', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const run = (env: Record<string, string>, args: string[] = []) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo-screen/main.ts', ...args], { cwd: root, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => output, exited };
  };

  it("serves every powered-on demo VM's endpoint it can get, and names the one it cannot, without dying", async () => {
    // win-01's port held here (or by someone else already: a second npm start is what this is about).
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.once('error', () => resolve()).listen(5903, '127.0.0.1', () => resolve()));
    const screens = run({ DEMO_SCREEN_CLOCK: CLOCK.toISOString() });
    try {
      await eventually(() => screens.output().includes('demo screens: ') || screens.child.exitCode !== null, 'the demo screens up', { timeoutMs: 120_000 });
      expect(screens.output()).toContain('"message":"demo screen not served","vm":"win-01","endpoint":"127.0.0.1:5903","why":"EADDRINUSE"');
      for (const { name, tenantId, vnc } of demoScreens().filter((screen) => screen.name !== 'win-01')) {
        const served = screens.output().includes(`${tenantId}/${name} on 127.0.0.1:${vnc.port}`);
        const skipped = screens.output().includes(`"vm":"${name}","endpoint":"127.0.0.1:${vnc.port}","why":"EADDRINUSE"`);
        expect(served !== skipped, `${name}: served or said why not`).toBe(true);
        if (served) {
          const client = await Client.open(vnc.port);
          expect((await client.handshake()).name).toBe(name);
          client.close();
        }
      }
      screens.child.kill('SIGTERM');
      expect(await screens.exited).toBe(0);
    } finally {
      screens.child.kill('SIGKILL');
      blocker.close();
    }
  }, 180_000);

  it.skipIf(!XVNC)('--xvnc: a real Xvnc desktop named after each VM on its endpoint; SIGTERM stops every one', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.once('error', () => resolve()).listen(5903, '127.0.0.1', () => resolve()));
    const desktops = run({}, ['--xvnc']);
    const ports: number[] = [];
    try {
      await eventually(() => desktops.output().includes('demo screens (Xvnc): ') || desktops.child.exitCode !== null, 'the Xvnc desktops up', { timeoutMs: 150_000 });
      expect(desktops.output()).toContain('"message":"demo screen not served","vm":"win-01","endpoint":"127.0.0.1:5903","why":"EADDRINUSE"');
      for (const { name, tenantId, vnc } of demoScreens().filter((screen) => screen.name !== 'win-01')) {
        if (!desktops.output().includes(`${tenantId}/${name} on 127.0.0.1:${vnc.port}`)) continue; // held by someone else
        ports.push(vnc.port);
        const client = await Client.open(vnc.port);
        expect((await client.handshake()).name).toBe(name);
        client.close();
      }
      desktops.child.kill('SIGTERM');
      expect(await desktops.exited).toBe(0);
      for (const port of ports) {
        expect(await new Promise((resolve) => connect(port, '127.0.0.1', () => resolve('open')).once('error', () => resolve('closed')))).toBe('closed');
      }
    } finally {
      desktops.child.kill('SIGKILL');
      blocker.close();
    }
  }, 240_000);

  it('refuses a DEMO_SCREEN_CLOCK that is not a time, saying so', async () => {
    const screens = run({ DEMO_SCREEN_CLOCK: 'half past nine' });
    expect(await screens.exited).not.toBe(0);
    expect(screens.output()).toContain('DEMO_SCREEN_CLOCK must be an ISO date and time');
  }, 120_000);
});
