/**
 * Network listeners that feed connections to aedes. Plain TCP for now; TLS (`node:tls`) and
 * WebSocket listeners will sit beside it with the same shape, all sharing one aedes instance.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Aedes } from 'aedes';
import type { Logger } from 'pino';

export interface Listener {
  kind: 'tcp';
  host: string;
  port: number;
  /** Stop accepting; resolves once every connection of this listener has ended. */
  close(): Promise<void>;
}

export interface TcpListenerOptions {
  port: number;
  host: string;
  /** Connections beyond this are closed at once (see DEFAULT_MAX_CONNECTIONS). */
  maxConnections: number;
}

/** Open TCP connections at most per listener; 47 stations plus the server fit many times over. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

export async function startTcpListener(aedes: Aedes, opts: TcpListenerOptions, log: Logger): Promise<Listener> {
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    aedes.handle(socket);
  });
  server.maxConnections = opts.maxConnections;
  server.on('drop', (d) => log.warn({ remote: d?.remoteAddress, max: opts.maxConnections }, 'connection dropped: too many connections'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'MQTT TCP listener error'));
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    kind: 'tcp',
    host: opts.host,
    port,
    close() {
      closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closed;
    },
  };
}
