/**
 * A plain in-test aedes broker on a free port (or a given one, to come back where it was): no
 * accounts, no ACL, state in memory. Tests of the edge, the server and the dashboards use it where
 * the broker is not what they test; test/broker/helpers.ts starts the product broker instead.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

export interface PlainBroker {
  url: string;
  port: number;
  aedes: Aedes;
  /** Destroy the TCP connection of a client, as a network failure would (no DISCONNECT: the will fires). */
  killClient(clientId: string): boolean;
  close(): Promise<void>;
}

export interface PlainBrokerOptions {
  /** Port to listen on; 0 (the default) takes a free one. */
  port?: number;
  /** Let a client connect? Refused ones get CONNACK "server unavailable" (3). Default: everyone. */
  admit?: (clientId: string) => boolean;
  /** Every message the broker accepts from a client (diagnostics: what reached the broker). */
  onPublish?: (topic: string, payload: Buffer, clientId: string) => void;
}

export async function startPlainBroker(opts: PlainBrokerOptions = {}): Promise<PlainBroker> {
  const { admit, onPublish } = opts;
  const aedes = await Aedes.createBroker(
    admit
      ? {
          authenticate: (client, _u, _p, cb) =>
            admit(client.id)
              ? cb(null, true)
              : cb(Object.assign(new Error('not now'), { returnCode: 3 as const }), false),
        }
      : {},
  );
  if (onPublish)
    aedes.on('publish', (packet, client) => {
      if (client) onPublish(packet.topic, Buffer.from(packet.payload), client.id);
    });
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    aedes.handle(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    aedes,
    killClient(clientId) {
      const c = (aedes as unknown as { clients: Record<string, { conn: { destroy(): void } } | undefined> })
        .clients[clientId];
      if (!c) return false;
      c.conn.destroy();
      return true;
    },
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
