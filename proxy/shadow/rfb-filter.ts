/**
 * What stands between a read-only shadow's browser and the VM: an RFB (VNC) client-message filter. It follows
 * the client's side of the handshake (ProtocolVersion 3.3/3.7/3.8, the security type, a VNC-auth response),
 * forces ClientInit's shared-flag to 1 (the watched user's connection stays up), then passes only what a
 * viewer needs — pixel format, encodings, update requests, continuous updates, fences — and drops every input
 * event. Whole messages only, across any split of the stream: the VM parses what passes exactly as the filter
 * did, so no input can be smuggled inside a message that passes. A message it does not know has no known
 * length, so nothing after it could be read: the shadow ends.
 *
 * The server's first bytes are observed too (`fromServer`): in RFB 3.3 the server, not the client, picks the
 * security type, and what the client sends next depends on it.
 */

/** The kinds of input a shadow's browser sent and the filter dropped (counted, never their content). */
export type DroppedInput = Record<'key' | 'pointer' | 'clipboard' | 'resize' | 'power', number>;

/** Why the shadow ends: shown to the shadow's browser as the close reason. */
export interface FilterRefusal {
  refused: string;
}

export const FilterRefusals = {
  message: 'The console sent a message a read-only view cannot pass.',
  version: 'The console spoke an RFB version a read-only view cannot follow.',
  security: "A read-only view cannot follow this console's security type.",
  early: 'The console sent data before the virtual machine asked for it.',
} as const;

const VERSIONS: Record<string, 3 | 7 | 8> = { 'RFB 003.003\n': 3, 'RFB 003.007\n': 7, 'RFB 003.008\n': 8 };
const SECURITY_NONE = 1;
const SECURITY_VNC_AUTH = 2;
/** The ExtendedMouseButtons pseudo-encoding: it would make a PointerEvent 6 or 7 bytes long (see setEncodings). */
const EXTENDED_MOUSE_BUTTONS = -316;
/** Bytes a client may send in the handshake before the server's security type is known (RFB 3.3). */
const MAX_EARLY_BYTES = 64;

type Step = 'version' | 'security' | 'server-security' | 'vnc-auth' | 'client-init' | 'messages' | 'refused';

/** One message's fate: `length` bytes pass (as they are, or as `replaced`) or are dropped as `dropped`. */
interface Message {
  length: number;
  dropped?: keyof DroppedInput;
  replaced?: Buffer;
}

export const noDroppedInput = (): DroppedInput => ({ key: 0, pointer: 0, clipboard: 0, resize: 0, power: 0 });

export class RfbShadowFilter {
  /** What this shadow's browser sent and the filter dropped. */
  readonly dropped = noDroppedInput();
  private step: Step = 'version';
  /** The client's bytes not yet understood: less than one message (a SetEncodings is the longest kept, 256 KiB). */
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes of a dropped message still to come (a long cut text is skipped, not kept). */
  private skipping = 0;
  /** The server's first 16 bytes: ProtocolVersion and, in 3.3, the security type. */
  private server: Buffer = Buffer.alloc(0);

  /** @param totals counted as well, as drops happen (the proxy's metrics of all shadows). */
  constructor(private readonly totals?: DroppedInput) {}

  /** Whether the filter still needs to see what the server sends. */
  get observing(): boolean {
    return this.server.length < 16 && this.step !== 'messages' && this.step !== 'refused';
  }

  fromServer(chunk: Buffer): void {
    if (this.observing) this.server = Buffer.concat([this.server, chunk.subarray(0, 16 - this.server.length)]);
  }

  /** What of `chunk` (and what was held from before) the VM may receive, or why the shadow must end. */
  fromClient(chunk: Buffer): Buffer | FilterRefusal {
    if (this.step === 'refused') return { refused: FilterRefusals.message };
    let data = chunk;
    if (this.skipping > 0) {
      const skipped = Math.min(this.skipping, data.length);
      this.skipping -= skipped;
      data = data.subarray(skipped);
    }
    data = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    const passed: Buffer[] = [];
    let at = 0;
    while (at < data.length) {
      const next = this.next(data, at);
      if (next === undefined) break; // not all there yet
      if ('refused' in next) {
        this.step = 'refused';
        this.pending = Buffer.alloc(0);
        return next;
      }
      const available = Math.min(next.length, data.length - at);
      if (next.dropped) {
        this.dropped[next.dropped] += 1;
        if (this.totals) this.totals[next.dropped] += 1;
        this.skipping = next.length - available;
      } else {
        passed.push(next.replaced ?? data.subarray(at, at + next.length));
      }
      at += available;
    }
    // Copied: a slice would keep the whole chunk it came from alive.
    this.pending = at < data.length ? Buffer.from(data.subarray(at)) : Buffer.alloc(0);
    if (this.step === 'server-security' && this.pending.length > MAX_EARLY_BYTES) {
      this.step = 'refused';
      return { refused: FilterRefusals.early };
    }
    return passed.length === 1 ? passed[0]! : Buffer.concat(passed);
  }

  /** The next message at `at`, once enough of it is there to know its length and fate; undefined until then. */
  private next(data: Buffer, at: number): Message | FilterRefusal | undefined {
    const available = data.length - at;
    switch (this.step) {
      case 'version': {
        if (available < 12) return undefined;
        const minor = VERSIONS[data.toString('latin1', at, at + 12)];
        if (!minor) return { refused: FilterRefusals.version };
        this.step = minor === 3 ? 'server-security' : 'security';
        return { length: 12 };
      }
      case 'security': {
        const type = data[at]!;
        if (type !== SECURITY_NONE && type !== SECURITY_VNC_AUTH) return { refused: FilterRefusals.security };
        this.step = type === SECURITY_VNC_AUTH ? 'vnc-auth' : 'client-init';
        return { length: 1 };
      }
      case 'server-security': {
        // RFB 3.3: the server names the type (a u32 after its ProtocolVersion); the client sends nothing for it.
        if (this.server.length < 16) return undefined;
        const type = this.server.readUInt32BE(12);
        if (type !== SECURITY_NONE && type !== SECURITY_VNC_AUTH) return { refused: FilterRefusals.security };
        this.step = type === SECURITY_VNC_AUTH ? 'vnc-auth' : 'client-init';
        return this.next(data, at);
      }
      case 'vnc-auth':
        if (available < 16) return undefined;
        this.step = 'client-init';
        return { length: 16 };
      case 'client-init':
        this.step = 'messages';
        // The shadow shares the VM's screen: with shared-flag 0 the server would drop the watched user.
        return { length: 1, replaced: Buffer.from([1]) };
      case 'messages':
        return message(data, at, available);
      case 'refused':
        return { refused: FilterRefusals.message };
    }
  }
}

/** A client-to-server message after the handshake (RFC 6143 §7.5 and the community extensions noVNC speaks). */
function message(data: Buffer, at: number, available: number): Message | FilterRefusal | undefined {
  const fixed = (length: number, dropped?: keyof DroppedInput): Message | undefined =>
    available < length ? undefined : { length, ...(dropped ? { dropped } : {}) };
  switch (data[at]) {
    case 0: // SetPixelFormat
      return fixed(20);
    case 2: // SetEncodings
      return available < 4 ? undefined : setEncodings(data, at, available);
    case 3: // FramebufferUpdateRequest
      return fixed(10);
    case 4: // KeyEvent
      return fixed(8, 'key');
    case 5: // PointerEvent
      return fixed(6, 'pointer');
    case 6: // ClientCutText; a negative length is the extended clipboard's, its size the absolute value
      return available < 8 ? undefined : { length: 8 + Math.abs(data.readInt32BE(at + 4)), dropped: 'clipboard' };
    case 150: // EnableContinuousUpdates
      return fixed(10);
    case 248: // ClientFence
      return available < 9 ? undefined : fixed(9 + data[at + 8]!);
    case 250: // xvp (shutdown, reboot, reset)
      return fixed(4, 'power');
    case 251: // SetDesktopSize
      return available < 8 ? undefined : { length: 8 + 16 * data[at + 6]!, dropped: 'resize' };
    case 255: // QEMU client messages: only the extended key event (submessage 0) is known
      if (available < 2) return undefined;
      return data[at + 1] === 0 ? fixed(12, 'key') : { refused: FilterRefusals.message };
    default:
      return { refused: FilterRefusals.message };
  }
}

/**
 * SetEncodings passes without ExtendedMouseButtons: a server that acknowledges it lets a PointerEvent grow a
 * seventh byte, which only the server's answer (not the client's stream) would tell. Without it every
 * PointerEvent is 6 bytes, so the filter reads the client's stream exactly as the client wrote it.
 */
function setEncodings(data: Buffer, at: number, available: number): Message | undefined {
  const count = data.readUInt16BE(at + 2);
  const length = 4 + 4 * count;
  if (available < length) return undefined;
  const kept: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const encoding = data.readInt32BE(at + 4 + 4 * index);
    if (encoding !== EXTENDED_MOUSE_BUTTONS) kept.push(encoding);
  }
  if (kept.length === count) return { length };
  const replaced = Buffer.alloc(4 + 4 * kept.length);
  replaced[0] = 2;
  replaced.writeUInt16BE(kept.length, 2);
  kept.forEach((encoding, index) => replaced.writeInt32BE(encoding, 4 + 4 * index));
  return { length, replaced };
}
