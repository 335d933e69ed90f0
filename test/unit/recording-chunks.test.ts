import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, decodeChunk, encodeFrame, FROM_BROWSER, FROM_VM } from '../../lib/protocol/recording.js';
import { ChunkBuffer, ChunkBufferPool } from '../../proxy/recording/chunk-buffer.js';

const KiB = 1024;
const payload = (bytes: number, fill: number) => Buffer.alloc(bytes, fill);

describe('a chunk being filled (proxy/recording/chunk-buffer.ts)', () => {
  it('holds the frames as the stored layout decodes them, byte for byte', () => {
    const chunk = new ChunkBuffer(new ChunkBufferPool(0));
    chunk.write(0, FROM_VM, payload(12, 1));
    chunk.write(7.9, FROM_BROWSER, payload(3, 2));
    chunk.write(1500, FROM_VM, payload(0, 0));
    const sealed = chunk.seal()!;
    expect(sealed.bytes.equals(Buffer.concat([encodeFrame(0, FROM_VM, payload(12, 1)), encodeFrame(7, FROM_BROWSER, payload(3, 2)), encodeFrame(1500, FROM_VM, payload(0, 0))]))).toBe(true);
    expect(decodeChunk(sealed.bytes).map(({ offsetMs, direction, payload: bytes }) => [offsetMs, direction, bytes.length])).toEqual([
      [0, FROM_VM, 12],
      [7, FROM_BROWSER, 3],
      [1500, FROM_VM, 0],
    ]);
    expect(chunk.empty).toBe(true);
    expect(chunk.seal()).toBeUndefined();
  });

  it('starts small and doubles as frames come, never past a chunk', () => {
    const chunk = new ChunkBuffer(new ChunkBufferPool(0));
    expect(chunk.growthFor(100)).toBe(64 * KiB);
    chunk.write(0, FROM_VM, payload(100, 1));
    expect(chunk.heldBytes).toBe(64 * KiB);
    expect(chunk.growthFor(64 * KiB)).toBe(64 * KiB);
    for (let index = 0; index < 15; index += 1) chunk.write(index, FROM_VM, payload(64 * KiB, index));
    expect(chunk.heldBytes).toBe(CHUNK_BYTES);
    // The sixteenth 64 KiB frame would take it past CHUNK_BYTES: the recorder seals first.
    expect(chunk.overflows(64 * KiB)).toBe(true);
    const sealed = chunk.seal()!;
    expect(sealed.heldBytes).toBe(CHUNK_BYTES);
    expect(decodeChunk(sealed.bytes)).toHaveLength(16);
    expect(decodeChunk(sealed.bytes)[15]!.payload.every((byte) => byte === 14)).toBe(true);
  });

  it('takes a stored chunk\'s full-size buffer from the pool once it is busy, and the pool keeps only full-size ones', () => {
    const pool = new ChunkBufferPool(1);
    const recycled = Buffer.alloc(CHUNK_BYTES);
    pool.give(Buffer.alloc(64 * KiB));
    expect(pool.available).toBe(false);
    pool.give(recycled);
    pool.give(Buffer.alloc(CHUNK_BYTES));
    const chunk = new ChunkBuffer(pool);
    // An idle console's first frame does not take it.
    chunk.write(0, FROM_VM, payload(10, 1));
    expect(chunk.heldBytes).toBe(64 * KiB);
    expect(chunk.growthFor(64 * KiB)).toBe(CHUNK_BYTES - 64 * KiB);
    chunk.write(1, FROM_VM, payload(64 * KiB, 2));
    expect(chunk.heldBytes).toBe(CHUNK_BYTES);
    expect(pool.available).toBe(false);
    const sealed = chunk.seal()!;
    expect(sealed.buffer).toBe(recycled);
    expect(decodeChunk(sealed.bytes).map((frame) => frame.payload.length)).toEqual([10, 64 * KiB]);
  });
});
