/**
 * How work reaches the agent: pushed over a WebSocket (./push-channel.ts) while one can be held, else by HTTP
 * polling (./poller.ts). It decides which, switches between them, and says so in the log; what a notice or a
 * poll brings is claimed through the API client and given to `onWork`.
 */
import type { ClaimedWork } from '../lib/protocol/agent.js';
import type { AgentApiClient } from './api-client.js';
import { Poller } from './poller.js';
import { PushChannel } from './push-channel.js';

export interface TransportOptions {
  client: AgentApiClient;
  credential: string;
  /** `poll`: HTTP polling only (e.g. behind a proxy that forbids WebSockets). */
  mode: 'websocket' | 'poll';
  /** The WebSocket API; absent: the API offers none, and the agent polls. */
  websocketUrl?: string;
  healthIntervalMs: number;
  renewAfterMs: number;
  reconnectBaseMs: number;
  reconnectCapMs: number;
  fallbackAfterFailures: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  heartbeatIntervalMs: number;
  /** The HTTP heartbeat (the poller's sign of life, and the one sent when a connection is lost). */
  heartbeat: () => Promise<void>;
  /** After each health message on the WebSocket. */
  onHealth: () => void;
  onWork: (work: ClaimedWork) => void;
  /** Every call the transport makes is tracked, so that stopping can wait for them. */
  track: <T>(promise: Promise<T>) => Promise<T>;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export class WorkTransport {
  private channel?: PushChannel;
  private readonly poller: Poller;

  constructor(private readonly options: TransportOptions) {
    const { pollIntervalMs, maxPollIntervalMs, heartbeatIntervalMs, heartbeat, log } = options;
    this.poller = new Poller({ pollIntervalMs, maxPollIntervalMs, heartbeatIntervalMs, heartbeat: () => options.track(heartbeat()), claimWaiting: () => options.track(this.claimWaiting()), log });
  }

  start(): void {
    const { mode, websocketUrl } = this.options;
    if (mode === 'poll') this.poller.start('transport "poll" is configured');
    else if (!websocketUrl) this.poller.start('the API offers no WebSocket');
    else this.startChannel(websocketUrl);
  }

  async stop(): Promise<void> {
    this.poller.stop();
    await this.channel?.stop();
    this.channel = undefined;
  }

  /** Claims and hands on waiting work until there is none; returns how many items it took. */
  async claimWaiting(): Promise<number> {
    let taken = 0;
    for (;;) {
      const work = await this.options.client.claim();
      if (!work) return taken;
      taken += 1;
      this.options.onWork(work);
    }
  }

  private startChannel(url: string): void {
    const { credential, healthIntervalMs, renewAfterMs, reconnectBaseMs, reconnectCapMs, fallbackAfterFailures, log } = this.options;
    const failed = (error: unknown) => log('agent call failed', { error: String(error) });
    this.channel = new PushChannel({
      url,
      credential,
      healthIntervalMs,
      renewAfterMs,
      reconnectBaseMs,
      reconnectCapMs,
      onNotice: (workId) => void this.options.track(this.claimNamed(workId)).catch(failed),
      onOpen: () => {
        log('work is pushed over the WebSocket', { transport: 'websocket' });
        this.poller.stop();
        // Work that waited while there was no connection (a reconnect, a renewal, the start) is claimed now.
        void this.options.track(this.claimWaiting()).catch(failed);
      },
      // A sign of life over HTTP while the connection is reopened: the API sees a live agent, not a dead one.
      onLost: () => {
        log('the WebSocket was lost; reopening it', { transport: 'websocket' });
        void this.options.track(this.options.heartbeat()).catch(failed);
      },
      onFailure: (failures, reason) => {
        log('could not open the WebSocket', { failures, reason });
        if (failures >= fallbackAfterFailures && !this.poller.active) this.poller.start(`the WebSocket cannot be held (${reason})`);
      },
      onHealth: this.options.onHealth,
    });
    this.channel.start();
  }

  /** Claims the item a notice named, if it is still waiting (else it was withdrawn, or claimed already). */
  private async claimNamed(workId: string): Promise<void> {
    const work = await this.options.client.claim(workId);
    if (work) this.options.onWork(work);
  }
}
