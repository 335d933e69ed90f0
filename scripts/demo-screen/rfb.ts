/**
 * A small RFB (VNC) server, protocol 3.8 (3.7 and 3.3 clients too), for a DemoScreen: security type None,
 * Raw encoding in the client's own true-colour pixel format, incremental updates of what changed, key and
 * pointer events and cut text. Whatever a client sends, the worst it gets is its own connection closed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { DemoScreen, Rect } from './screen.js';

const VERSION = 'RFB 003.008\n';
const SECURITY_NONE = 1;
const ENCODING_RAW = 0;
/** More than a client may have sent but not yet been understood (a cut text is the only long message). */
const MAX_PENDING_BYTES = 1024 * 1024;
const MAX_CUT_TEXT_BYTES = 256 * 1024;
const MAX_STALE_RECTS = 64;

export interface PixelFormat {
  bitsPerPixel: number;
  depth: number;
  bigEndian: boolean;
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/** What this server offers in ServerInit: 32-bit little-endian 0x00RRGGBB, as most VNC servers do. */
export const SERVER_PIXEL_FORMAT: PixelFormat = {
  bitsPerPixel: 32, depth: 24, bigEndian: false, trueColour: true,
  redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0,
};

export interface RfbServer {
  port: number;
  /** Connections open right now. */
  connections(): number;
  close(): Promise<void>;
}

export interface RfbServerOptions {
  host?: string;
  port: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Each client message's type, by the client's number (1, 2, … in the order they connected): what a test checks a connection sent. */
  onMessage?: (client: number, type: number) => void;
}

/** Serves `screen` on `host:port` until closed. */
export async function startRfbServer(
  screen: DemoScreen,
  { host = '127.0.0.1', port, log = () => undefined, onMessage }: RfbServerOptions,
): Promise<RfbServer> {
  const sockets = new Set<Socket>();
  let clients = 0;
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const client = (clients += 1);
    serveClient(socket, screen, log, onMessage && ((type) => onMessage(client, type)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After listening, a server error (none is expected) is logged rather than thrown.
  server.on('error', (error) => log('vnc server error', { vm: screen.identity.name, error: error.message }));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => sockets.size,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

type Step = 'version' | 'security' | 'clientInit' | 'messages';

/** One client: a parser of what it sends, and updates of `screen` in its pixel format when it asks. */
function serveClient(socket: Socket, screen: DemoScreen, log: NonNullable<RfbServerOptions['log']>, seen?: (type: number) => void): void {
  let step: Step = 'version';
  let minor = 8;
  let pending: Buffer = Buffer.alloc(0);
  let format = SERVER_PIXEL_FORMAT;
  // The strips the client has not seen since its last update, and the area it asked for (if it waits).
  const stale = new Set<Rect>();
  let request: Rect | undefined;
  let closed = false;

  const close = (why?: string) => {
    if (closed) return;
    closed = true;
    unsubscribe();
    if (why) log('vnc client closed', { vm: screen.identity.name, why });
    socket.destroy();
  };
  const unsubscribe = screen.onChange((changed) => {
    for (const rect of changed) markStale(rect);
    flush();
  });
  // A client that does not read while the screen changes must not make this grow: past a few dozen
  // rectangles (a screen's strips), they become the one rectangle around them all.
  const markStale = (rect: Rect) => {
    stale.add(rect);
    if (stale.size > MAX_STALE_RECTS) {
      const around = [...stale].reduce(union);
      stale.clear();
      stale.add(around);
    }
  };
  socket.on('error', () => close());
  socket.on('close', () => close());
  socket.on('drain', () => flush());
  socket.on('data', (chunk: Buffer) => {
    try {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      if (pending.length > MAX_PENDING_BYTES) return close('too much unparsed input');
      let used: number;
      while (!closed && pending.length && (used = parse(pending)) > 0) pending = pending.subarray(used);
    } catch (error) {
      close(`failed: ${(error as Error).message}`);
    }
  });
  socket.write(VERSION);

  /** Handles the first message in `data`: the bytes it took, or 0 when it is not all there yet. */
  function parse(data: Buffer): number {
    switch (step) {
      case 'version': {
        if (data.length < 12) return 0;
        const version = /^RFB 003\.00([378])\n$/.exec(data.subarray(0, 12).toString('latin1'));
        if (!version) {
          close('not an RFB 3.3, 3.7 or 3.8 client');
          return 12;
        }
        minor = Number(version[1]);
        if (minor === 3) {
          socket.write(u32(SECURITY_NONE));
          step = 'clientInit';
        } else {
          socket.write(Buffer.from([1, SECURITY_NONE]));
          step = 'security';
        }
        return 12;
      }
      case 'security': {
        if (data[0] !== SECURITY_NONE) {
          const reason = Buffer.from('Only security type None is offered.');
          if (minor === 8) socket.write(Buffer.concat([u32(1), u32(reason.length), reason]));
          close('asked for a security type that was not offered');
          return 1;
        }
        if (minor === 8) socket.write(u32(0));
        step = 'clientInit';
        return 1;
      }
      case 'clientInit': {
        const name = Buffer.from(screen.identity.name, 'utf8');
        const init = Buffer.alloc(24);
        init.writeUInt16BE(screen.width, 0);
        init.writeUInt16BE(screen.height, 2);
        writePixelFormat(init, 4, SERVER_PIXEL_FORMAT);
        init.writeUInt32BE(name.length, 20);
        socket.write(Buffer.concat([init, name]));
        step = 'messages';
        return 1;
      }
      case 'messages': {
        const used = message(data);
        if (used > 0) seen?.(data[0]!);
        return used;
      }
    }
  }

  function message(data: Buffer): number {
    switch (data[0]) {
      case 0: { // SetPixelFormat
        if (data.length < 20) return 0;
        const requested = readPixelFormat(data, 4);
        const problem = unsupported(requested);
        if (problem) close(`pixel format refused: ${problem}`);
        else format = requested;
        return 20;
      }
      case 2: { // SetEncodings: Raw is always used, whatever else the client can decode
        if (data.length < 4) return 0;
        const length = 4 + 4 * data.readUInt16BE(2);
        return data.length < length ? 0 : length;
      }
      case 3: { // FramebufferUpdateRequest
        if (data.length < 10) return 0;
        const asked = clip({ x: data.readUInt16BE(2), y: data.readUInt16BE(4), width: data.readUInt16BE(6), height: data.readUInt16BE(8) }, screen);
        if (asked) {
          if (data[1] === 0) markStale(asked); // not incremental: all of it, changed or not
          request = request ? union(request, asked) : asked;
          flush();
        }
        return 10;
      }
      case 4: // KeyEvent
        if (data.length < 8) return 0;
        screen.key(data[1] !== 0, data.readUInt32BE(4));
        return 8;
      case 5: // PointerEvent
        if (data.length < 6) return 0;
        screen.pointerEvent(data[1]!, data.readUInt16BE(2), data.readUInt16BE(4));
        return 6;
      case 6: { // ClientCutText (Latin-1)
        if (data.length < 8) return 0;
        const length = data.readUInt32BE(4);
        if (length > MAX_CUT_TEXT_BYTES) {
          close('cut text too long');
          return data.length;
        }
        if (data.length < 8 + length) return 0;
        screen.paste(data.subarray(8, 8 + length).toString('latin1'));
        return 8 + length;
      }
      default:
        // An unknown message has no known length: nothing after it can be read.
        close(`unknown client message type ${data[0]}`);
        return data.length;
    }
  }

  /** Sends what the client asked for and has not seen, when it asked and is reading. */
  function flush(): void {
    if (closed || !request || stale.size === 0 || socket.writableNeedDrain) return;
    const rects: Rect[] = [];
    for (const rect of stale) {
      const asked = intersection(rect, request);
      if (!asked) continue;
      rects.push(asked);
      // What lies outside the request stays stale (resent whole: a few pixels twice are harmless).
      if (asked.width === rect.width && asked.height === rect.height) stale.delete(rect);
    }
    if (!rects.length) return;
    request = undefined;
    socket.write(update(rects, screen, format));
  }
}

/** A FramebufferUpdate of `rects`, Raw-encoded in `format`. */
function update(rects: Rect[], screen: DemoScreen, format: PixelFormat): Buffer {
  const bytes = format.bitsPerPixel / 8;
  const size = 4 + rects.reduce((sum, rect) => sum + 12 + rect.width * rect.height * bytes, 0);
  const out = Buffer.alloc(size);
  out.writeUInt16BE(rects.length, 2);
  let offset = 4;
  const pixel = encoder(format);
  for (const rect of rects) {
    out.writeUInt16BE(rect.x, offset);
    out.writeUInt16BE(rect.y, offset + 2);
    out.writeUInt16BE(rect.width, offset + 4);
    out.writeUInt16BE(rect.height, offset + 6);
    out.writeInt32BE(ENCODING_RAW, offset + 8);
    offset += 12;
    for (let y = rect.y; y < rect.y + rect.height; y += 1) {
      const row = y * screen.width;
      for (let x = rect.x; x < rect.x + rect.width; x += 1) offset = pixel(out, offset, screen.pixels[row + x]!);
    }
  }
  return out;
}

/** Writes one 0xRRGGBB pixel in `format` at `offset`; returns the offset after it. */
function encoder(format: PixelFormat): (out: Buffer, offset: number, rgb: number) => number {
  const scale = (value: number, max: number) => Math.round((value * max) / 255);
  const value = (rgb: number) =>
    ((scale((rgb >> 16) & 0xff, format.redMax) << format.redShift) |
      (scale((rgb >> 8) & 0xff, format.greenMax) << format.greenShift) |
      (scale(rgb & 0xff, format.blueMax) << format.blueShift)) >>> 0;
  const { bigEndian } = format;
  switch (format.bitsPerPixel) {
    case 32:
      return (out, offset, rgb) => (bigEndian ? out.writeUInt32BE(value(rgb), offset) : out.writeUInt32LE(value(rgb), offset));
    case 16:
      return (out, offset, rgb) => (bigEndian ? out.writeUInt16BE(value(rgb) & 0xffff, offset) : out.writeUInt16LE(value(rgb) & 0xffff, offset));
    default:
      return (out, offset, rgb) => out.writeUInt8(value(rgb) & 0xff, offset);
  }
}

/** Why this server cannot send `format` (it has no colour map), or undefined when it can. */
function unsupported(format: PixelFormat): string | undefined {
  if (![8, 16, 32].includes(format.bitsPerPixel)) return `${format.bitsPerPixel} bits per pixel`;
  if (!format.trueColour) return 'colour-map formats are not supported';
  const channels = [[format.redMax, format.redShift], [format.greenMax, format.greenShift], [format.blueMax, format.blueShift]] as const;
  for (const [max, shift] of channels) {
    if (max === 0 || shift >= format.bitsPerPixel || max * 2 ** shift >= 2 ** format.bitsPerPixel) return 'a colour channel does not fit the pixel';
  }
  return undefined;
}

function readPixelFormat(data: Buffer, at: number): PixelFormat {
  return {
    bitsPerPixel: data[at]!,
    depth: data[at + 1]!,
    bigEndian: data[at + 2] !== 0,
    trueColour: data[at + 3] !== 0,
    redMax: data.readUInt16BE(at + 4),
    greenMax: data.readUInt16BE(at + 6),
    blueMax: data.readUInt16BE(at + 8),
    redShift: data[at + 10]!,
    greenShift: data[at + 11]!,
    blueShift: data[at + 12]!,
  };
}

function writePixelFormat(out: Buffer, at: number, format: PixelFormat): void {
  out[at] = format.bitsPerPixel;
  out[at + 1] = format.depth;
  out[at + 2] = format.bigEndian ? 1 : 0;
  out[at + 3] = format.trueColour ? 1 : 0;
  out.writeUInt16BE(format.redMax, at + 4);
  out.writeUInt16BE(format.greenMax, at + 6);
  out.writeUInt16BE(format.blueMax, at + 8);
  out[at + 10] = format.redShift;
  out[at + 11] = format.greenShift;
  out[at + 12] = format.blueShift;
}

const u32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
};

/** `rect` cut to the screen, or undefined when nothing of it is on the screen. */
const clip = (rect: Rect, screen: { width: number; height: number }) => intersection(rect, { x: 0, y: 0, width: screen.width, height: screen.height });

function intersection(a: Rect, b: Rect): Rect | undefined {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const width = Math.min(a.x + a.width, b.x + b.width) - x;
  const height = Math.min(a.y + a.height, b.y + b.height) - y;
  return width > 0 && height > 0 ? { x, y, width, height } : undefined;
}

function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}
