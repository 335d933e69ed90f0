/**
 * A demo VM's screen: what its VNC server shows and what its keyboard and pointer change. A band in the VM's
 * own colour names the VM, its tenant and the time; below it a prompt echoes what is typed; the pointer is
 * drawn where the client puts it; Ctrl+Alt+Del is answered with a notice. Every client of the VM shares it.
 */
import { glyph, GLYPH_HEIGHT, GLYPH_WIDTH } from './font.js';

export interface ScreenIdentity {
  vmMoId: string;
  name: string;
  tenantId: string;
  tenantName: string;
  guestOsFamily: string;
  /** The VM's own colour (`#rrggbb`), painted across the top: what tells one VM's screen from another's. */
  band: string;
}

/** A rectangle of the screen, in pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const SCREEN_WIDTH = 800;
export const SCREEN_HEIGHT = 600;
export const BAND_HEIGHT = 64;
/** Changes are reported per horizontal strip of this many rows (a client asks for the strips it lacks). */
export const STRIP_ROWS = 16;

const BACKGROUND = 0x101418;
const TEXT = 0xd8dee9;
const DIM = 0x7b8494;
const PROMPT = 0x8fd18f;
const NOTICE = 0xf5c542;
const CELL_W = 12;
const CELL_H = 18;
const MARGIN = 16;
const COLUMNS = Math.floor((SCREEN_WIDTH - 2 * MARGIN) / CELL_W);
const HISTORY_ROWS = 20;
const NOTICE_MS = 15_000;

// The arrow pointer: `#` black outline, `o` white fill.
const POINTER = [
  '#', '##', '#o#', '#oo#', '#ooo#', '#oooo#', '#ooooo#', '#oooooo#', '#ooooooo#', '#oooooooo#', '#oooooo####',
  '#ooo#oo#', '#oo##oo#', '#o#  #oo#', '##   #oo#', '#     #oo#', '      #oo#', '       ##',
];

const KEYSYM = {
  backSpace: 0xff08,
  tab: 0xff09,
  returnKey: 0xff0d,
  keypadEnter: 0xff8d,
  escape: 0xff1b,
  deleteKey: 0xffff,
  keypadDelete: 0xff9f,
  controlL: 0xffe3,
  controlR: 0xffe4,
  altL: 0xffe9,
  altR: 0xffea,
} as const;
const MODIFIERS = new Set<number>([KEYSYM.controlL, KEYSYM.controlR, KEYSYM.altL, KEYSYM.altR]);
/** Lines kept in `entered` (a record for tests and logs, not a transcript). */
const ENTERED_KEPT = 1000;

export interface DemoScreenOptions {
  /** The screen's clock (tests and the README's screenshot freeze it). */
  now?: () => Date;
}

export class DemoScreen {
  readonly width = SCREEN_WIDTH;
  readonly height = SCREEN_HEIGHT;
  /** The framebuffer, one `0xRRGGBB` per pixel, row by row. */
  pixels: Uint32Array;
  /** Lines entered (with Enter), oldest first, the last 1,000: what the VM "received". */
  readonly entered: string[] = [];
  /** The line being typed. */
  line = '';
  keysReceived = 0;
  ctrlAltDeletes = 0;
  pointer = { x: Math.floor(SCREEN_WIDTH / 2), y: Math.floor(SCREEN_HEIGHT / 2), buttons: 0 };

  private readonly history: { text: string; colour: number }[] = [];
  private readonly held = new Set<number>();
  private noticeUntil = 0;
  private noticeAt = '';
  private readonly listeners = new Set<(changed: Rect[]) => void>();
  private renderQueued = false;
  /** The clock moved on while nobody watched: redrawn when someone does. */
  private behind = false;
  private clock: NodeJS.Timeout | undefined;
  private readonly now: () => Date;
  private readonly band: number;

  constructor(readonly identity: ScreenIdentity, options: DemoScreenOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.band = parseInt(identity.band.slice(1), 16);
    this.pixels = this.render();
  }

  get prompt(): string {
    return this.identity.guestOsFamily === 'windows' ? 'C:\\Users\\demo> ' : `demo@${this.identity.name}:~$ `;
  }

  /** Redraws every second, for the clock (and for a Ctrl+Alt+Del notice to go away), while anyone watches. */
  start(): void {
    this.clock ??= setInterval(() => {
      if (this.listeners.size > 0) this.changed();
      else this.behind = true;
    }, 1000);
  }

  stop(): void {
    clearInterval(this.clock);
    this.clock = undefined;
  }

  /** `listener` is told which rectangles changed each time the screen is redrawn; the return removes it. */
  onChange(listener: (changed: Rect[]) => void): () => void {
    if (this.behind) {
      this.behind = false;
      this.pixels = this.render();
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  key(down: boolean, keysym: number): void {
    if (!down) {
      this.held.delete(keysym);
      return;
    }
    if (MODIFIERS.has(keysym)) this.held.add(keysym); // only these: a client cannot grow the set
    this.keysReceived += 1;
    const ctrl = this.held.has(KEYSYM.controlL) || this.held.has(KEYSYM.controlR);
    const alt = this.held.has(KEYSYM.altL) || this.held.has(KEYSYM.altR);
    if ((keysym === KEYSYM.deleteKey || keysym === KEYSYM.keypadDelete) && ctrl && alt) this.ctrlAltDelete();
    else if (keysym === KEYSYM.returnKey || keysym === KEYSYM.keypadEnter) this.enter();
    else if (keysym === KEYSYM.backSpace) this.line = this.line.slice(0, -1);
    else if (keysym === KEYSYM.escape) this.line = '';
    else if (keysym === KEYSYM.tab) this.type('    ');
    else if (!ctrl && !alt) {
      const char = printable(keysym);
      if (char) this.type(char);
    }
    this.changed();
  }

  pointerEvent(buttons: number, x: number, y: number): void {
    this.pointer = { x: Math.min(x, this.width - 1), y: Math.min(y, this.height - 1), buttons };
    this.changed();
  }

  /** Text pasted from the client's clipboard goes into the line being typed. */
  paste(text: string): void {
    this.type(text.replace(/[\r\n]+/g, ' '));
    this.changed();
  }

  private type(text: string): void {
    this.line = (this.line + text).slice(0, 200);
  }

  private enter(): void {
    this.entered.push(this.line);
    this.entered.splice(0, Math.max(0, this.entered.length - ENTERED_KEPT));
    this.say(this.prompt + this.line, TEXT);
    if (this.line.trim()) this.say(`${this.identity.name}: received "${this.line}" (${this.line.length} characters)`, DIM);
    this.line = '';
  }

  private ctrlAltDelete(): void {
    this.ctrlAltDeletes += 1;
    this.noticeAt = clockText(this.now());
    this.noticeUntil = this.now().getTime() + NOTICE_MS;
    this.say(`*** Ctrl+Alt+Del received at ${this.noticeAt} ***`, NOTICE);
  }

  private say(text: string, colour: number): void {
    for (let start = 0; start < Math.max(text.length, 1); start += COLUMNS) this.history.push({ text: text.slice(start, start + COLUMNS), colour });
    this.history.splice(0, Math.max(0, this.history.length - HISTORY_ROWS));
  }

  /** Redraws once per turn of the event loop however many events came in, and reports what changed. */
  private changed(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    setImmediate(() => {
      this.renderQueued = false;
      const before = this.pixels;
      this.pixels = this.render();
      const rects = differences(before, this.pixels, this.width, this.height);
      if (rects.length) for (const listener of this.listeners) listener(rects);
    });
  }

  private render(): Uint32Array {
    const canvas = new Canvas(this.width, this.height, BACKGROUND);
    const { name, tenantId, tenantName, vmMoId, guestOsFamily } = this.identity;
    const now = this.now();
    canvas.fill(0, 0, this.width, BAND_HEIGHT, this.band);
    canvas.text(MARGIN, 10, name, 0xffffff, 3);
    canvas.text(MARGIN, 40, `${tenantName} (tenant ${tenantId})`, 0xffffff, 2);
    const time = `${now.toISOString().slice(0, 10)} ${clockText(now)}`;
    canvas.text(this.width - MARGIN - time.length * CELL_W, 40, time, 0xffffff, 2);

    let y = BAND_HEIGHT + 14;
    const row = (text: string, colour: number) => {
      canvas.text(MARGIN, y, text, colour, 2);
      y += CELL_H;
    };
    row(`Console of ${name} (${vmMoId}, ${guestOsFamily} guest): npm start's demo VNC`, DIM);
    row('server, reached by a one-time ticket through the console proxy.', DIM);
    row('Type here: the keys reach this VM. Try Ctrl+Alt+Del too.', DIM);
    y += CELL_H / 2;
    for (const line of this.history) row(line.text, line.colour);
    const prompt = this.prompt;
    const typed = this.line.slice(-(COLUMNS - 1 - prompt.length)); // the end of a long line, as a terminal scrolls
    canvas.text(MARGIN, y, prompt, PROMPT, 2);
    canvas.text(MARGIN + prompt.length * CELL_W, y, typed, TEXT, 2);
    canvas.fill(MARGIN + (prompt.length + typed.length) * CELL_W, y - 1, CELL_W - 2, CELL_H - 2, TEXT);

    if (now.getTime() < this.noticeUntil) {
      const box = { x: 150, y: 230, width: 500, height: 110 };
      canvas.fill(box.x - 3, box.y - 3, box.width + 6, box.height + 6, NOTICE);
      canvas.fill(box.x, box.y, box.width, box.height, 0x202733);
      canvas.text(box.x + 20, box.y + 18, 'Ctrl+Alt+Del received', NOTICE, 3);
      canvas.text(box.x + 20, box.y + 58, `at ${this.noticeAt}. A demo VM does not`, TEXT, 2);
      canvas.text(box.x + 20, box.y + 78, 'restart; this notice goes away.', TEXT, 2);
    }

    const status = `pointer ${this.pointer.x},${this.pointer.y} buttons ${this.pointer.buttons}   keys ${this.keysReceived}   Ctrl+Alt+Del ${this.ctrlAltDeletes}`;
    canvas.fill(0, this.height - 26, this.width, 26, 0x1c222b);
    canvas.text(MARGIN, this.height - 20, status, DIM, 2);
    canvas.pointer(this.pointer.x, this.pointer.y);
    return canvas.pixels;
  }
}

const clockText = (date: Date) => `${date.toISOString().slice(11, 19)} UTC`;

/** The character a keysym types, for Latin-1 keysyms (which equal their code points); others type nothing. */
function printable(keysym: number): string | undefined {
  if ((keysym >= 0x20 && keysym <= 0x7e) || (keysym >= 0xa0 && keysym <= 0xff)) return String.fromCharCode(keysym);
  // Unicode keysyms (0x01000000 + code point), as noVNC sends for characters outside Latin-1.
  if (keysym > 0x01000100 && keysym <= 0x0110ffff) return String.fromCodePoint(keysym - 0x01000000);
  return undefined;
}

/** Per strip of STRIP_ROWS rows, the columns that differ between `a` and `b`. */
function differences(a: Uint32Array, b: Uint32Array, width: number, height: number): Rect[] {
  const rects: Rect[] = [];
  for (let top = 0; top < height; top += STRIP_ROWS) {
    const rows = Math.min(STRIP_ROWS, height - top);
    let left = width;
    let right = -1;
    for (let y = top; y < top + rows; y += 1) {
      const offset = y * width;
      for (let x = 0; x < width; x += 1) {
        if (a[offset + x] !== b[offset + x]) {
          if (x < left) left = x;
          if (x > right) right = x;
        }
      }
    }
    if (right >= left) rects.push({ x: left, y: top, width: right - left + 1, height: rows });
  }
  return rects;
}

class Canvas {
  readonly pixels: Uint32Array;

  constructor(readonly width: number, readonly height: number, background: number) {
    this.pixels = new Uint32Array(width * height).fill(background);
  }

  fill(x: number, y: number, width: number, height: number, colour: number): void {
    for (let row = Math.max(0, y); row < Math.min(this.height, y + height); row += 1) {
      this.pixels.fill(colour, row * this.width + Math.max(0, x), row * this.width + Math.min(this.width, x + width));
    }
  }

  /** `text` at `scale` (each glyph pixel a scale×scale square, one column of space between characters). */
  text(x: number, y: number, text: string, colour: number, scale: number): void {
    const advance = (GLYPH_WIDTH + 1) * scale;
    [...text].forEach((char, index) => {
      const columns = glyph(char);
      for (let column = 0; column < GLYPH_WIDTH; column += 1) {
        for (let bit = 0; bit < GLYPH_HEIGHT; bit += 1) {
          if (columns[column]! & (1 << bit)) this.fill(x + index * advance + column * scale, y + bit * scale, scale, scale, colour);
        }
      }
    });
  }

  pointer(x: number, y: number): void {
    POINTER.forEach((line, dy) => {
      [...line].forEach((mark, dx) => {
        if (mark !== ' ') this.fill(x + dx, y + dy, 1, 1, mark === '#' ? 0x000000 : 0xffffff);
      });
    });
  }
}
