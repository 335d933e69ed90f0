/**
 * The playback page decodes recordings with its own copy of the stored layout (plain JS served as is, it
 * cannot import lib/protocol/recording.ts): this keeps the two from drifting apart.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeChunk, encodeFrame, FROM_BROWSER, FROM_VM } from '../../lib/protocol/recording.js';

const page = readFileSync(new URL('../../proxy/public/playback-player.js', import.meta.url), 'utf8');
const header = /const FRAME_HEADER_BYTES = (\d+);/.exec(page)!;
const source = /export function decodeChunk\(chunk\) \{[\s\S]*?\n\}\n/.exec(page)![0].replace('export ', '');
const pageDecode = new Function(`const FRAME_HEADER_BYTES = ${header[1]};\n${source}\nreturn decodeChunk;`)() as typeof decodeChunk;

describe("the playback page's decoder", () => {
  it('reads what the recorder writes, frame for frame', () => {
    const chunk = Buffer.concat([
      encodeFrame(0, FROM_VM, Buffer.from('RFB 003.008\n')),
      encodeFrame(17, FROM_BROWSER, Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61])),
      encodeFrame(4_000_000_000, FROM_VM, Buffer.alloc(0)),
    ]);
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const asPlain = (frames: ReturnType<typeof decodeChunk>) => frames.map((frame) => ({ ...frame, payload: [...frame.payload] }));
    expect(asPlain(pageDecode(bytes))).toEqual(asPlain(decodeChunk(bytes)));
    expect(pageDecode(bytes)).toHaveLength(3);
  });

  it('refuses a truncated chunk as the recorder’s decoder does', () => {
    const chunk = encodeFrame(5, FROM_VM, Buffer.from('abcdef'));
    const cut = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength - 2);
    expect(() => decodeChunk(cut)).toThrow('truncated frame');
    expect(() => pageDecode(cut)).toThrow('truncated frame');
  });
});
