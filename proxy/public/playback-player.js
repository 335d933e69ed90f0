// Plays a console recording through noVNC's own decoder: the recorded screen stream (RFB server messages)
// is handed to a real RFB object through a channel of our own, each message at its recorded time.
import RFB from '/novnc/core/rfb.js';

// The stored layout (lib/protocol/recording.ts): frames of u32 BE ms | u8 direction | u32 BE length | payload.
const FRAME_HEADER_BYTES = 9;
export const FROM_VM = 0;
export const FROM_BROWSER = 1;

/** The frames of one stored chunk, in order; throws on a truncated one. */
export function decodeChunk(chunk) {
  const frames = [];
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let at = 0;
  while (at < chunk.length) {
    if (at + FRAME_HEADER_BYTES > chunk.length) throw new Error('truncated frame header');
    const length = view.getUint32(at + 5);
    if (at + FRAME_HEADER_BYTES + length > chunk.length) throw new Error('truncated frame');
    frames.push({ offsetMs: view.getUint32(at), direction: view.getUint8(at + 4), payload: chunk.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length) });
    at += FRAME_HEADER_BYTES + length;
  }
  return frames;
}

/**
 * What noVNC takes for its WebSocket (Websock.attach checks these properties): it delivers the recorded
 * VM's messages when the player says so and swallows whatever noVNC answers — nothing is there to hear it.
 */
class ReplayChannel {
  constructor() {
    this.binaryType = 'arraybuffer';
    this.protocol = '';
    // An RTCDataChannel's state name: noVNC starts the RFB handshake at once, as on an open socket.
    this.readyState = 'open';
    this.onopen = null;
    this.onmessage = null;
    this.onerror = null;
    this.onclose = null;
  }

  send() {}

  close() {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    queueMicrotask(() => this.onclose?.({ code: 1000, reason: '', wasClean: true }));
  }

  deliver(payload) {
    if (this.readyState === 'open') this.onmessage?.({ data: payload });
  }
}

/** A tick at least this often while playing, so the position shown moves between sparse frames. */
const TICK_MS = 100;
/** While seeking, let the browser breathe (and noVNC finish decoding images) after this many bytes. */
const SEEK_SLICE_BYTES = 4 * 1024 * 1024;

/**
 * The timeline: `position` (ms into the recording) is the playhead the screen shows — every screen frame at
 * or before it has been delivered, none after. Playing moves it with the page's clock times `speed`; seeking
 * back starts a new RFB and delivers everything up to the target at once, seeking forward just delivers the
 * rest up to it.
 */
export class Player {
  constructor(screen, frames, durationMs, onChange) {
    this.screen = screen;
    this.frames = frames.filter((frame) => frame.direction === FROM_VM);
    this.durationMs = durationMs;
    this.onChange = onChange;
    this.speed = 1;
    this.playing = false;
    this.position = 0;
    this.positionAt = performance.now();
    this.failure = '';
    this.seeking = 0;
    this.reset();
    this.deliverUntil(0);
  }

  get ended() {
    return this.position >= this.durationMs;
  }

  play() {
    if (this.playing) return;
    if (this.ended) {
      this.reset();
      this.position = 0;
    }
    this.playing = true;
    this.startClock();
    this.tick();
  }

  pause() {
    if (!this.playing) return;
    this.tick();
    this.playing = false;
    clearTimeout(this.timer);
    this.changed();
  }

  setSpeed(speed) {
    if (this.playing) this.tick();
    this.speed = speed;
    if (this.playing) this.startClock();
    this.changed();
  }

  /** Moves the playhead to `target` ms; resolves once the screen shows it (a newer seek supersedes this one). */
  async seek(target) {
    const seeking = ++this.seeking;
    const resume = this.playing;
    this.playing = false;
    clearTimeout(this.timer);
    target = Math.max(0, Math.min(this.durationMs, target));
    if (target < this.position || !this.rfb) this.reset();
    let sliceBytes = 0;
    while (this.next < this.frames.length && this.frames[this.next].offsetMs <= target) {
      const frame = this.frames[this.next++];
      this.channel.deliver(frame.payload);
      sliceBytes += frame.payload.length;
      if (sliceBytes >= SEEK_SLICE_BYTES) {
        sliceBytes = 0;
        do await new Promise((resolve) => setTimeout(resolve, 0));
        while (this.backlog() > SEEK_SLICE_BYTES && seeking === this.seeking);
        if (seeking !== this.seeking) return;
      }
    }
    this.position = target;
    this.positionAt = performance.now();
    if (resume && !this.ended) {
      this.playing = true;
      this.startClock();
      this.tick();
    } else this.changed();
  }

  reset() {
    if (this.rfb) this.rfb.disconnect();
    this.failure = '';
    this.channel = new ReplayChannel();
    this.next = 0;
    this.position = 0;
    // A recorded VNC-authentication handshake asks for a password: an empty one lets the stream go on (the
    // answer goes nowhere; the recorded server's verdict follows in the stream).
    const rfb = new RFB(this.screen, this.channel, { shared: true, credentials: { username: '', password: '', target: '' } });
    rfb.viewOnly = true;
    rfb.scaleViewport = true;
    rfb.focusOnClick = false;
    rfb.addEventListener('credentialsrequired', () => rfb.sendCredentials({ username: '', password: '', target: '' }));
    rfb.addEventListener('desktopname', (event) => (this.desktopName = event.detail.name));
    rfb.addEventListener('disconnect', () => {
      if (this.rfb !== rfb) return; // one we replaced
      this.failure = 'noVNC could not decode the recorded stream.';
      this.playing = false;
      clearTimeout(this.timer);
      this.changed();
    });
    this.rfb = rfb;
  }

  /** noVNC has no flow control of its own: its receive queue (private) says how far decoding lags behind. */
  backlog() {
    return this.rfb?._sock?.rQlen?.() ?? 0;
  }

  startClock() {
    this.clockWall = performance.now();
    this.clockPosition = this.position;
  }

  tick() {
    clearTimeout(this.timer);
    if (!this.playing) return;
    const now = performance.now();
    const target = Math.min(this.durationMs, this.clockPosition + (now - this.clockWall) * this.speed);
    this.deliverUntil(target);
    this.position = target;
    this.positionAt = now;
    if (this.ended) {
      this.playing = false;
      return this.changed();
    }
    const due = this.next < this.frames.length ? this.frames[this.next].offsetMs : this.durationMs;
    this.timer = setTimeout(() => this.tick(), Math.min(TICK_MS, Math.max(0, (due - target) / this.speed)));
    this.changed();
  }

  deliverUntil(target) {
    while (this.next < this.frames.length && this.frames[this.next].offsetMs <= target) this.channel.deliver(this.frames[this.next++].payload);
  }

  changed() {
    this.onChange(this);
  }
}
