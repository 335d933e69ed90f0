import { connect, type Socket } from 'node:net';
import type { ConsoleTarget } from '../lib/protocol/console-proxy.js';

/** Opens TCP to the VM's VNC endpoint; `undefined` if it refuses, fails or does not answer in `timeoutMs`. */
export function connectVnc(target: ConsoleTarget, timeoutMs: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.vnc.host, port: target.vnc.port, noDelay: true });
    const fail = () => {
      socket.destroy();
      resolve(undefined);
    };
    socket.setTimeout(timeoutMs, fail);
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}
