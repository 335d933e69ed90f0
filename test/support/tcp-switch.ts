/**
 * A switch in front of a local port: whoever connects to `listenPort` reaches `targetPort` while it is on;
 * turned off, open connections are cut and new ones refused (the service gone, as far as the client can
 * tell); on again, the same address answers. For a client that must lose its server without the server
 * (npm start's stack) being stopped.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpSwitch {
  on(): Promise<void>;
  off(): Promise<void>;
}

export function tcpSwitch(listenPort: number, targetPort: number): TcpSwitch {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    async on() {
      if (server) return;
      server = createServer((client) => {
        const upstream = createConnection(targetPort, '127.0.0.1');
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => (socket === client ? upstream : client).destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve, reject) => server!.once('error', reject).listen(listenPort, '127.0.0.1', resolve));
    },
    async off() {
      const closing = server;
      server = undefined;
      const closed = closing ? new Promise((resolve) => closing.close(resolve)) : Promise.resolve();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
