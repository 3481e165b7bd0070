/**
 * A TCP proxy on loopback for fault injection between a client and a real server. It forwards
 * both ways until told to lose a reply: the request reaches the server and is carried out, but
 * the answer is dropped and the connection cut, as when a network or the server's host fails
 * after a commit. It can also go down (cutting every connection and refusing new ones) and come
 * back up, as the server would seem to through an outage.
 *
 * @packageDocumentation
 */

import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/** A running proxy. */
export interface TcpProxy {
  /** The loopback port clients connect to. */
  readonly port: number;
  /**
   * Drops the next reply from the server that `matches` (any, by default), and cuts the
   * connection it came on. Resolves once a reply was dropped.
   */
  loseNextReply(matches?: (chunk: Buffer) => boolean): Promise<void>;
  /** Cuts every open connection, and refuses new ones until {@link up}. */
  down(): void;
  up(): void;
  /** Cuts every connection and stops listening. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port that forwards each connection to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let isDown = false;
  let losing: { matches: (chunk: Buffer) => boolean; lost: () => void } | undefined;

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A cut connection is the point; its errors are not the test's.
    socket.on('error', () => {});
  };

  const server = createServer((client) => {
    track(client);
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    track(upstream);
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', cut);
    upstream.on('close', cut);
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (losing?.matches(chunk)) {
        const { lost } = losing;
        losing = undefined;
        cut();
        lost();
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });

  let closed = false;
  return {
    port: (server.address() as AddressInfo).port,
    loseNextReply: (matches = () => true) =>
      new Promise<void>((lost) => {
        losing = { matches, lost };
      }),
    down: () => {
      isDown = true;
      for (const socket of sockets) socket.destroy();
    },
    up: () => {
      isDown = false;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
