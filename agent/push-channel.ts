/**
 * The agent's control channel: one WebSocket to the API Gateway WebSocket API, as SSM Agent holds its
 * ssmmessages channel. The API pushes work notices over it; the agent sends a health message every
 * `healthIntervalMs` (9 minutes: "tools running", and API Gateway closes a connection idle for 10). A
 * connection lives at most 2 hours on API Gateway, so it is renewed before that: the new one opens first,
 * then the old one is closed. A lost connection is reopened after a delay drawn with full jitter from an
 * exponentially growing window (capped), so a fleet restarting together does not stampede the API.
 */
import WebSocket from 'ws';
import { AgentSocketActions, WorkNoticeSchema } from '../lib/protocol/agent.js';
import { Backoff } from './backoff.js';

export interface PushChannelOptions {
  url: string;
  credential: string;
  healthIntervalMs: number;
  renewAfterMs: number;
  reconnectBaseMs: number;
  reconnectCapMs: number;
  /** A notice names a work item waiting for this VM. */
  onNotice: (workId: string) => void;
  /** A connection opened (first, renewed or reopened): work that waited meanwhile is to be claimed. */
  onOpen: () => void;
  /** The open connection was lost (not replaced by a renewal); a new one is opened after a short delay. */
  onLost: () => void;
  /** Opening failed `failures` times in a row, for `reason`. */
  onFailure: (failures: number, reason: string) => void;
  /** Each health message, after it is sent. */
  onHealth: () => void;
}

export class PushChannel {
  private current?: WebSocket;
  /** Its attempts are the failures to open in a row. */
  private readonly reconnect: Backoff;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private healthTimer?: NodeJS.Timeout;
  private renewTimer?: NodeJS.Timeout;

  constructor(private readonly options: PushChannelOptions) {
    this.reconnect = new Backoff({ baseMs: options.reconnectBaseMs, capMs: options.reconnectCapMs });
  }

  get connected(): boolean {
    return this.current?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    clearInterval(this.healthTimer);
    clearTimeout(this.renewTimer);
    const socket = this.current;
    this.current = undefined;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close(1000, 'agent stopping');
      await Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
    }
  }

  private later(task: () => void, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, delayMs);
    this.timers.add(timer);
  }

  /** Opens a connection; once open it becomes the current one and the one it renews is closed. */
  private open(): void {
    if (this.stopped) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.options.url, { headers: { authorization: `Bearer ${this.options.credential}` }, handshakeTimeout: 30_000 });
    } catch (error) {
      // A URL the client cannot even try (malformed, another scheme) fails like a refused connection.
      this.failed((error as Error).message);
      return;
    }
    let opened = false;
    let failure = '';
    socket.on('unexpected-response', (_request, response) => {
      failure = `the upgrade was answered ${response.statusCode}`;
      socket.terminate();
    });
    // Aborting a refused handshake also reports an error; the refusal is the reason that counts.
    socket.on('error', (error) => (failure ||= error.message));
    socket.on('open', () => {
      opened = true;
      this.reconnect.reset();
      const renewed = this.current;
      this.current = socket;
      this.scheduleHealth();
      this.renewTimer = setTimeout(() => this.open(), this.options.renewAfterMs);
      if (renewed && renewed !== socket) renewed.close(1000, 'renewed');
      this.options.onOpen();
    });
    socket.on('message', (data) => {
      const notice = parseNotice(String(data));
      if (notice) this.options.onNotice(notice.workId);
    });
    socket.on('close', () => {
      if (this.stopped) return;
      if (opened && socket !== this.current) return; // the one a renewal replaced
      if (!opened) return this.failed(failure || 'the connection closed');
      this.current = undefined;
      clearInterval(this.healthTimer);
      clearTimeout(this.renewTimer);
      this.options.onLost();
      // A loss is no failure to open: the shortest window, and the failures in a row stay at none.
      this.later(() => this.open(), this.reconnect.delayFor(0));
    });
  }

  /** Opening failed: said, and tried again after the backoff's next delay. */
  private failed(reason: string): void {
    const delayMs = this.reconnect.next();
    this.options.onFailure(this.reconnect.attempts, reason);
    this.later(() => this.open(), delayMs);
  }

  private scheduleHealth(): void {
    clearInterval(this.healthTimer);
    this.healthTimer = setInterval(() => {
      if (this.current?.readyState !== WebSocket.OPEN) return;
      this.current.send(JSON.stringify({ action: AgentSocketActions.health }));
      this.options.onHealth();
    }, this.options.healthIntervalMs);
  }
}

function parseNotice(text: string) {
  try {
    const parsed = WorkNoticeSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
