import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PgProxy {
  port: number;
  /** The URL `url` with its port replaced by the proxy's. */
  through(url: string): string;
  /**
   * A server restart as clients see it: every connection is cut, and new ones are refused
   * (nothing listens) for `ms`, then accepted again.
   */
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of the PostgreSQL server of the tests, so that a test can cut and
 * refuse its own connections as a restart would, without touching the server that other
 * tests share (fault injection with a local proxy, as pg-boss's halfOpenProxy).
 */
export async function startPgProxy(target: string): Promise<PgProxy> {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(targetPort || 5432), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    through: (url) => {
      const u = new URL(url);
      u.port = String(port);
      return u.toString();
    },
    outage: async (ms) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      await sleep(ms);
      await listen(port);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
