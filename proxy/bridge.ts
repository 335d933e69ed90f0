import type { Socket } from 'node:net';
import WebSocket from 'ws';

/** Close codes and the reasons a browser sees (the console page shows the reason as is). */
export const Close = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  policy: 1008,
  internal: 1011,
  tryAgainLater: 1013,
} as const;

/**
 * Closes a console WebSocket with a reason the browser can show. A paused socket is resumed first: the
 * close handshake needs the browser's close frame to be read, or it would hang until ws's own timeout.
 */
export function closeConsole(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.resume();
  ws.close(code, reason);
}

const AS_IS = { binary: true, compress: false } as const;

export interface BridgeLimits {
  /** None: the session never idles out (a read-only shadow, which ends with the console it watches). */
  idleTimeoutMs: number | undefined;
  maxSessionMs: number;
  highWaterMarkBytes: number;
  /** Each message from the browser (the registry's "last input"). */
  onInput?: () => void;
  /** Sees the stream as it passes (the console's recording). */
  tap?: BridgeTap;
  /** Stands between the browser and the VM (a read-only shadow): the bytes of a message to pass, or why to end. */
  filterInput?: (data: Buffer) => Buffer | { refused: string };
}

/**
 * A tap on the bridge (proxy/recording/recorder.ts): it sees each chunk from the VM before the browser gets it,
 * and each message from the browser before the VM does, and can hold either side back while it catches up.
 */
export interface BridgeTap {
  /** false: not taken yet; the bridge keeps the chunk, reads nothing more from the VM, and offers it again at `room`. */
  fromVm(chunk: Buffer): boolean;
  /** false: taken, but read nothing more from the browser until `room`. */
  fromBrowser(data: Buffer): boolean;
  /** How the tap tells the bridge it can take more. */
  onRoom(room: () => void): void;
}

export interface BridgeResult {
  bytesToVm: number;
  bytesFromVm: number;
  /** Why the session ended, for the audit record. */
  endReason: string;
}

/**
 * Bridges a browser's WebSocket (binary frames) to a VM's VNC endpoint (TCP) until either side closes, the
 * session idles out or reaches its maximum length. Backpressure holds both ways: reading from the VM stops
 * while too much is queued towards the browser, and reading from the browser stops while the VM's socket
 * is full. The WebSocket arrives paused (nothing was read from it while the ticket was redeemed).
 */
export function bridge(
  ws: WebSocket,
  vnc: Socket,
  limits: BridgeLimits,
  traffic: { toVm: number; fromVm: number } = { toVm: 0, fromVm: 0 },
): { done: Promise<BridgeResult>; end: (code: number, reason: string) => void } {
  let bytesToVm = 0;
  let bytesFromVm = 0;
  let ended = false;
  let resolveDone!: (result: BridgeResult) => void;
  const done = new Promise<BridgeResult>((resolve) => (resolveDone = resolve));

  const end = (code: number, reason: string, endReason = reason) => {
    if (ended) return;
    ended = true;
    clearTimeout(idleTimer);
    clearTimeout(lifetimeTimer);
    vnc.destroy();
    closeConsole(ws, code, reason);
    resolveDone({ bytesToVm, bytesFromVm, endReason });
  };

  const { idleTimeoutMs } = limits;
  const idleTimer = idleTimeoutMs === undefined ? undefined : setTimeout(
    () => end(Close.normal, `The console session was closed after ${Math.round(idleTimeoutMs / 1000)} s without activity.`, 'idle timeout'),
    idleTimeoutMs,
  );
  const lifetimeTimer = setTimeout(
    () => end(Close.normal, 'The console session reached its maximum length.', 'maximum session length'),
    limits.maxSessionMs,
  );
  const activity = () => idleTimer?.refresh();

  // VM → browser. `bufferedAmount` counts what ws has queued but the kernel has not taken yet. Reading from the
  // VM waits for the browser (a send past the high-water mark) and for the tap (a chunk it has not taken yet).
  const { tap } = limits;
  let waitingForBrowser = false;
  let heldForTap: Buffer | undefined;
  const resumeVm = () => {
    if (!ended && !waitingForBrowser && !heldForTap) vnc.resume();
  };
  const sent = () => {
    waitingForBrowser = false;
    resumeVm();
  };
  const toBrowser = (chunk: Buffer) => {
    // The chunk goes out as it is (no copy, no compression). Only the send that crosses the high-water mark
    // waits for a callback: once it is written, everything before it is too.
    if (ws.bufferedAmount + chunk.length < limits.highWaterMarkBytes) return ws.send(chunk, AS_IS);
    waitingForBrowser = true;
    vnc.pause();
    ws.send(chunk, AS_IS, sent);
  };
  vnc.on('data', (chunk: Buffer) => {
    bytesFromVm += chunk.length;
    traffic.fromVm += chunk.length;
    activity();
    if (tap && !tap.fromVm(chunk)) {
      heldForTap = chunk;
      return void vnc.pause();
    }
    toBrowser(chunk);
  });

  // Browser → VM. Reading from the browser waits for the VM's socket to drain and for the tap.
  let vmFull = false;
  let browserHeldByTap = false;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (ended) return;
    if (!isBinary) return end(Close.unsupportedData, 'Only binary WebSocket frames are accepted.', 'text frame');
    if (limits.filterInput) {
      const passed = limits.filterInput(data);
      if (!Buffer.isBuffer(passed)) return end(Close.policy, passed.refused, 'read-only violation');
      if (passed.length === 0) return; // all of it dropped
      data = passed;
    }
    bytesToVm += data.length;
    traffic.toVm += data.length;
    activity();
    limits.onInput?.();
    if (tap && !tap.fromBrowser(data)) {
      browserHeldByTap = true;
      ws.pause();
    }
    if (!vnc.write(data)) {
      vmFull = true;
      ws.pause();
    }
  });
  const resumeBrowser = () => {
    if (!ended && !vmFull && !browserHeldByTap) ws.resume();
  };
  vnc.on('drain', () => {
    vmFull = false;
    resumeBrowser();
  });
  tap?.onRoom(() => {
    if (ended) return;
    if (heldForTap && tap.fromVm(heldForTap)) {
      const chunk = heldForTap;
      heldForTap = undefined;
      toBrowser(chunk);
      if (vmEnded) return vmEnded();
      resumeVm();
    }
    if (browserHeldByTap) {
      browserHeldByTap = false;
      resumeBrowser();
    }
  });

  // A VM that closes while the tap holds its last chunk: the browser gets that chunk (once the tap takes it) first.
  let vmEnded: (() => void) | undefined;
  const vmClosed = () => {
    vmEnded = () => end(Close.normal, "The virtual machine's console closed the connection.", 'vm closed');
    if (!heldForTap) vmEnded();
  };
  vnc.on('end', vmClosed);
  vnc.on('error', () => end(Close.internal, "The connection to the virtual machine's console failed.", 'vm error'));
  vnc.on('close', vmClosed);
  ws.on('close', () => end(Close.normal, '', 'client closed'));
  ws.on('error', () => end(Close.internal, '', 'client error'));

  ws.resume();
  return { done, end: (code, reason) => end(code, reason) };
}
