import WebSocket from 'ws';
import { ProxyOrderSchema, ProxySocketActions, type ProxyOrder } from '../lib/protocol/console-proxy.js';
import { errorSummary, logger } from './log.js';

/**
 * The proxy's order channel: one WebSocket to the API Gateway WebSocket API (the one the guest agents hold),
 * authenticated by the console-proxy key. The API pushes orders over it: end consoles, or tell a console's page
 * who watches it (a read-only shadow started or ended). A health message every 9 minutes keeps API Gateway's
 * 10-minute idle timer off; the connection is renewed before its 2-hour limit (the new one opens first); a lost
 * one is reopened after a jittered, growing delay.
 */
export interface OrderChannelOptions {
  url: string;
  apiKey: string;
  onOrder: (order: ProxyOrder) => void;
  healthIntervalMs?: number;
  renewAfterMs?: number;
}

export class OrderChannel {
  private current?: WebSocket;
  private failures = 0;
  private stopped = false;
  private timers = new Set<NodeJS.Timeout>();
  private health?: NodeJS.Timeout;
  private resolveOpen?: () => void;
  /** Resolves once the first connection is open (a test waits for it before it counts on orders). */
  readonly opened = new Promise<void>((resolve) => (this.resolveOpen = resolve));

  constructor(private readonly options: OrderChannelOptions) {}

  get connected(): boolean {
    return this.current?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.open();
    this.health = setInterval(() => {
      if (this.connected) this.current!.send(JSON.stringify({ action: ProxySocketActions.health }));
    }, this.options.healthIntervalMs ?? 9 * 60_000);
    this.health.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.health);
    for (const timer of this.timers) clearTimeout(timer);
    const socket = this.current;
    this.current = undefined;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close(1000, 'proxy stopping');
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    }
  }

  private later(task: () => void, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private open(): void {
    if (this.stopped) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.options.url, { headers: { authorization: `Bearer ${this.options.apiKey}` }, handshakeTimeout: 30_000 });
    } catch (error) {
      logger.error('order channel cannot open', { error: errorSummary(error).message });
      return;
    }
    let opened = false;
    socket.on('error', (error) => logger.warn('order channel error', { error: error.message }));
    socket.on('unexpected-response', (_request, response) => {
      logger.warn('order channel refused', { status: response.statusCode });
      socket.terminate();
    });
    socket.on('open', () => {
      opened = true;
      this.failures = 0;
      const renewed = this.current;
      this.current = socket;
      if (renewed && renewed !== socket) renewed.close(1000, 'renewed');
      this.later(() => this.open(), this.options.renewAfterMs ?? 110 * 60_000);
      logger.info('order channel open');
      this.resolveOpen?.();
    });
    socket.on('message', (data) => {
      const order = parseOrder(String(data));
      if (order) this.options.onOrder(order);
    });
    socket.on('close', () => {
      if (this.stopped || (opened && socket !== this.current)) return;
      if (opened) this.current = undefined;
      else this.failures += 1;
      const window = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 10));
      this.later(() => this.open(), Math.floor(Math.random() * window));
    });
  }
}

function parseOrder(text: string): ProxyOrder | undefined {
  try {
    const parsed = ProxyOrderSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
