/**
 * A TCP proxy that can freeze: while frozen, nothing the server sends reaches the client and new
 * connections wait, but every socket stays open — what a client sees of a server whose event loop
 * hangs (a SIGSTOPped or stuck process). Used to test that pages notice a silent server.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface FreezeProxy {
  url: string;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function startFreezeProxy(target: { host: string; port: number }): Promise<FreezeProxy> {
  let frozen = false;
  const upstreams = new Set<Socket>();
  const waiting: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.pause();
    const open = (): void => {
      const up = connect(target.port, target.host);
      upstreams.add(up);
      sockets.add(up);
      up.on('close', () => {
        upstreams.delete(up);
        sockets.delete(up);
        client.destroy();
      });
      client.on('close', () => up.destroy());
      up.on('error', () => client.destroy());
      client.on('error', () => up.destroy());
      client.pipe(up);
      up.pipe(client);
      client.resume();
      if (frozen) up.pause();
    };
    if (frozen) waiting.push(open);
    else open();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    freeze() {
      frozen = true;
      for (const up of upstreams) {
        up.unpipe();
        up.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const up of upstreams) up.destroy(); // what the frozen server queued is old news
      for (const open of waiting.splice(0)) open();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
