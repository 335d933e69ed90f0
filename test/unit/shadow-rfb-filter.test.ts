/**
 * The read-only shadow's RFB filter (proxy/shadow/rfb-filter.ts): the exact bytes it passes to the VM and
 * those it drops, whatever way the stream is cut into WebSocket messages.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FilterRefusals, RfbShadowFilter, type FilterRefusal } from '../../proxy/shadow/rfb-filter.js';

const bytes = (...parts: (number[] | Buffer | string)[]) =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));
const u16 = (value: number) => [(value >> 8) & 0xff, value & 0xff];
const s32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeInt32BE(value);
  return [...out];
};

// Client messages, as noVNC writes them.
const setPixelFormat = bytes([0, 0, 0, 0, 32, 24, 0, 1, ...u16(255), ...u16(255), ...u16(255), 0, 8, 16, 0, 0, 0]);
const setEncodings = (...encodings: number[]) => bytes([2, 0, ...u16(encodings.length), ...encodings.flatMap(s32)]);
const updateRequest = bytes([3, 1, ...u16(0), ...u16(0), ...u16(800), ...u16(600)]);
const keyEvent = (keysym: number) => bytes([4, 1, 0, 0, ...s32(keysym)]);
const pointerEvent = bytes([5, 1, ...u16(400), ...u16(300)]);
const cutText = (text: string) => bytes([6, 0, 0, 0, ...s32(text.length)], text);
// The extended clipboard's caps: a negative length, whose absolute value is the size of what follows.
const extendedClipboard = bytes([6, 0, 0, 0, ...s32(-8), 0x01, 0x00, 0x00, 0x01, 0, 0, 0x10, 0]);
const continuousUpdates = bytes([150, 1, ...u16(0), ...u16(0), ...u16(800), ...u16(600)]);
const clientFence = bytes([248, 0, 0, 0, 0x80, 0, 0, 0x02, 4, 1, 2, 3, 4]);
const xvp = bytes([250, 0, 1, 2]);
const setDesktopSize = bytes([251, 0, ...u16(1024), ...u16(768), 1, 0, ...s32(0), ...u16(0), ...u16(0), ...u16(1024), ...u16(768), ...s32(0)]);
const qemuKey = bytes([255, 0, 0, 1, ...s32(0x61), ...s32(30)]);

const VERSION_38 = 'RFB 003.008\n';
const VERSION_33 = 'RFB 003.003\n';
const challenge = Buffer.alloc(16, 0xc4);
const response = Buffer.alloc(16, 0x5a);

/** A 3.8 session with every kind of message, interleaved; what must pass, and the counts dropped. */
const session38 = {
  sent: bytes(
    VERSION_38, [1], [0],
    setPixelFormat, setEncodings(7, 0, -316, -223, -258), updateRequest,
    keyEvent(0x61), pointerEvent, keyEvent(0x62), cutText('hunter2'), updateRequest, extendedClipboard,
    continuousUpdates, xvp, clientFence, setDesktopSize, qemuKey, pointerEvent, updateRequest,
  ),
  passed: bytes(
    VERSION_38, [1], [1], // shared-flag forced to 1
    setPixelFormat, setEncodings(7, 0, -223, -258), updateRequest, // without ExtendedMouseButtons
    updateRequest, continuousUpdates, clientFence, updateRequest,
  ),
  dropped: { key: 3, pointer: 2, clipboard: 2, resize: 1, power: 1 },
};

/** Feeds `parts` in order; the bytes passed, or the refusal. */
function feed(filter: RfbShadowFilter, parts: Buffer[]): Buffer | FilterRefusal {
  const passed: Buffer[] = [];
  for (const part of parts) {
    const out = filter.fromClient(part);
    if (!Buffer.isBuffer(out)) return out;
    passed.push(out);
  }
  return Buffer.concat(passed);
}

const splitAt = (data: Buffer, cuts: number[]) => {
  const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), data.length];
  return points.slice(1).map((end, index) => data.subarray(points[index], end));
};

describe('the read-only shadow filter', () => {
  it('passes the handshake and what a viewer asks for, and drops every input event (RFB 3.8, security None)', () => {
    const filter = new RfbShadowFilter();
    filter.fromServer(bytes(VERSION_38, [1, 1]));
    expect(feed(filter, [session38.sent])).toEqual(session38.passed);
    expect(filter.dropped).toEqual(session38.dropped);
  });

  it('passes the same bytes whatever way the stream is cut, at every single boundary', () => {
    for (let cut = 1; cut < session38.sent.length; cut += 1) {
      const filter = new RfbShadowFilter();
      expect(feed(filter, splitAt(session38.sent, [cut])), `cut at ${cut}`).toEqual(session38.passed);
      expect(filter.dropped).toEqual(session38.dropped);
    }
  });

  it('passes the same bytes one byte at a time and in any random cuts', () => {
    const oneByOne = new RfbShadowFilter();
    expect(feed(oneByOne, splitAt(session38.sent, [...session38.sent.keys()]))).toEqual(session38.passed);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: session38.sent.length - 1 }), { maxLength: 40 }), (cuts) => {
        const filter = new RfbShadowFilter();
        expect(feed(filter, splitAt(session38.sent, cuts))).toEqual(session38.passed);
        expect(filter.dropped).toEqual(session38.dropped);
      }),
    );
  });

  it('skips a long cut text without keeping it, across many messages', () => {
    const filter = new RfbShadowFilter();
    feed(filter, [bytes(VERSION_38, [1], [1])]);
    const text = 'x'.repeat(1024 * 1024);
    const parts = splitAt(bytes(cutText(text), updateRequest), [5, 100, 70_000, 900_000]);
    expect(feed(filter, parts)).toEqual(updateRequest);
    expect(filter.dropped.clipboard).toBe(1);
  });

  it('follows VNC authentication in RFB 3.8: the 16-byte response passes, then ClientInit is shared', () => {
    const filter = new RfbShadowFilter();
    filter.fromServer(bytes(VERSION_38, [1, 2], challenge));
    const sent = bytes(VERSION_38, [2], response, [0], updateRequest, keyEvent(0x0d));
    for (let cut = 1; cut < sent.length; cut += 1) {
      const cutFilter = new RfbShadowFilter();
      expect(feed(cutFilter, splitAt(sent, [cut]))).toEqual(bytes(VERSION_38, [2], response, [1], updateRequest));
    }
    expect(feed(filter, [sent])).toEqual(bytes(VERSION_38, [2], response, [1], updateRequest));
  });

  it("follows RFB 3.3, where the server names the security type: None, or VNC authentication", () => {
    const none = new RfbShadowFilter();
    none.fromServer(bytes(VERSION_33));
    none.fromServer(bytes(s32(1)));
    expect(feed(none, [bytes(VERSION_33), bytes([0], keyEvent(0x61), updateRequest)])).toEqual(bytes(VERSION_33, [1], updateRequest));

    const auth = new RfbShadowFilter();
    auth.fromServer(bytes(VERSION_33, s32(2), challenge));
    expect(feed(auth, [bytes(VERSION_33, response, [0], pointerEvent, setPixelFormat)])).toEqual(
      bytes(VERSION_33, response, [1], setPixelFormat),
    );
    expect(auth.dropped.pointer).toBe(1);
  });

  it("holds a 3.3 client's bytes until the server has named the security type", () => {
    const filter = new RfbShadowFilter();
    filter.fromServer(bytes(VERSION_33));
    expect(filter.fromClient(bytes(VERSION_33, response.subarray(0, 10)))).toEqual(bytes(VERSION_33));
    filter.fromServer(bytes(s32(2), challenge));
    expect(filter.fromClient(bytes(response.subarray(10), [0]))).toEqual(bytes(response, [1]));
    expect(filter.observing).toBe(false);
  });

  it('refuses a 3.3 client that floods before the server named the security type', () => {
    const filter = new RfbShadowFilter();
    expect(filter.fromClient(bytes(VERSION_33, Buffer.alloc(65)))).toEqual({ refused: FilterRefusals.early });
  });

  it.each([
    ['an unknown message type', bytes(VERSION_38, [1], [0], updateRequest, [7, 0, 0, 0]), bytes(VERSION_38, [1], [1], updateRequest), FilterRefusals.message],
    ['a QEMU message other than the extended key event', bytes(VERSION_38, [1], [0], [255, 1, 0, 0]), bytes(VERSION_38, [1], [1]), FilterRefusals.message],
    ['a security type it cannot follow (VeNCrypt)', bytes(VERSION_38, [19]), bytes(VERSION_38), FilterRefusals.security],
    ['an RFB version it does not know', bytes('RFB 004.001\n'), bytes(), FilterRefusals.version],
  ])('ends the shadow on %s, passing only what came before it', (_what, sent, before, reason) => {
    const filter = new RfbShadowFilter();
    const passed: Buffer[] = [];
    let refusal: FilterRefusal | undefined;
    // Message by message: what precedes the offending message has passed by then.
    for (const part of splitAt(sent, [12, 13, 14, 24])) {
      const out = filter.fromClient(part);
      if (Buffer.isBuffer(out)) passed.push(out);
      else refusal ??= out;
    }
    expect(Buffer.concat(passed)).toEqual(before);
    expect(refusal).toEqual({ refused: reason });
    // And nothing passes after it.
    expect(filter.fromClient(updateRequest)).toEqual({ refused: FilterRefusals.message });
  });

  it('passes only whole viewer messages, whatever messages a client sends and however they are cut', () => {
    const arbitraryMessage = fc.oneof(
      fc.constant(setPixelFormat),
      fc.array(fc.integer({ min: -400, max: 20 }), { maxLength: 12 }).map((encodings) => setEncodings(...encodings)),
      fc.constant(updateRequest),
      fc.integer({ min: 0, max: 0xffff }).map(keyEvent),
      fc.constant(pointerEvent),
      fc.string({ maxLength: 300 }).map((text) => cutText(text.replace(/[^\x00-\xff]/g, '?'))),
      fc.constant(extendedClipboard),
      fc.constant(continuousUpdates),
      fc.uint8Array({ maxLength: 64 }).map((payload) => bytes([248, 0, 0, 0, 0, 0, 0, 0, payload.length], Buffer.from(payload))),
      fc.constant(xvp),
      fc.constant(setDesktopSize),
      fc.constant(qemuKey),
    );
    fc.assert(
      fc.property(fc.array(arbitraryMessage, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 20 }), (messages, cuts) => {
        const sent = bytes(VERSION_38, [1], [0], ...messages);
        const passed = feed(new RfbShadowFilter(), splitAt(sent, cuts.map((cut) => cut % sent.length)));
        expect(Buffer.isBuffer(passed)).toBe(true);
        // Read back as the VM would: the handshake, then viewer messages only, each whole.
        const out = passed as Buffer;
        expect(out.subarray(0, 14)).toEqual(bytes(VERSION_38, [1], [1]));
        let at = 14;
        while (at < out.length) {
          const type = out[at]!;
          const length = { 0: 20, 2: 4 + 4 * (out.readUInt16BE(at + 2) || 0), 3: 10, 150: 10, 248: 9 + (out[at + 8] ?? 0) }[type];
          expect(length, `message type ${type} at ${at}`).toBeDefined();
          if (type === 2) for (let index = at + 4; index < at + length!; index += 4) expect(out.readInt32BE(index)).not.toBe(-316);
          at += length!;
        }
        expect(at).toBe(out.length);
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const filter = new RfbShadowFilter();
        filter.fromServer(bytes(VERSION_33, s32(1)));
        filter.fromClient(bytes(VERSION_38, [1], [0]));
        for (const chunk of chunks) expect(() => filter.fromClient(Buffer.from(chunk))).not.toThrow();
      }),
    );
  });

  it("refuses a 3.3 server's security type it cannot follow", () => {
    const filter = new RfbShadowFilter();
    filter.fromServer(bytes(VERSION_33, s32(16)));
    expect(filter.fromClient(bytes(VERSION_33, [0]))).toEqual({ refused: FilterRefusals.security });
  });
});
