/**
 * Network listeners that feed connections to aedes through the connection guard: plain TCP,
 * TLS (certificate and key from files, reloadable without dropping connections) and MQTT over
 * WebSocket. All share one aedes instance. Every listener hands each raw TCP socket to
 * guard.admit() first, before any TLS handshake or HTTP upgrade: bans, the connect rate, the
 * budget of unauthenticated connections and the connect timeout apply alike to all three.
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { ConnectionGuard } from './guard.js';

export type ListenerKind = 'tcp' | 'tls' | 'ws';

export interface Listener {
  kind: ListenerKind;
  host: string;
  port: number;
  /** Stop accepting; resolves once every connection of this listener has ended. */
  close(): Promise<void>;
}

export interface TlsListener extends Listener {
  kind: 'tls';
  /** Read the certificate and key files again; new connections use them, open ones are kept. */
  reload(): Promise<void>;
}

export interface TcpListenerOptions {
  port: number;
  host: string;
  /** Connections beyond this are closed at once (see DEFAULT_MAX_CONNECTIONS). */
  maxConnections: number;
}

export interface TlsListenerOptions extends TcpListenerOptions {
  /** PEM certificate chain file. */
  certFile: string;
  /** PEM private key file. */
  keyFile: string;
}

/** Open connections at most per listener; 47 stations plus the server fit many times over. */
export const DEFAULT_MAX_CONNECTIONS = 20_000;

/** Largest WebSocket message accepted, in bytes (MQTT packets are checked again by the guard). */
export const DEFAULT_WS_MAX_PAYLOAD = 1024 * 1024;

/** A certificate or key file cannot be used; fix the files (retrying unchanged cannot help). */
export class TlsFilesError extends Error {
  override name = 'TlsFilesError';
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

function closer(server: Server, extra?: () => void): () => Promise<void> {
  let closed: Promise<void> | undefined;
  return () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      extra?.();
    });
    return closed;
  };
}

/** Count connections the server itself refuses (maxConnections) or cannot accept (EMFILE), and log other errors. */
function watchServer(server: Server, kind: ListenerKind, guard: ConnectionGuard, log: Logger): void {
  server.on('drop', (d) => guard.listenerDrop(kind, 'max_connections', d?.remoteAddress));
  server.on('error', (err: NodeJS.ErrnoException) => {
    // Out of descriptors: libuv accepts and closes the pending connection itself (no busy loop);
    // the unauthenticated-connection budget (a quarter of the limit) keeps this for real load.
    if (err.code === 'EMFILE' || err.code === 'ENFILE') guard.listenerDrop(kind, 'fd_limit', undefined, err);
    else log.error({ err, listener: kind }, 'MQTT listener error');
  });
}

export async function startTcpListener(guard: ConnectionGuard, opts: TcpListenerOptions, log: Logger): Promise<Listener> {
  const server = createServer((socket: Socket) => {
    if (!guard.admit(socket, 'tcp')) return;
    socket.setNoDelay(true);
    guard.accept(socket, socket);
  });
  server.maxConnections = opts.maxConnections;
  const port = await listen(server, opts.port, opts.host);
  watchServer(server, 'tcp', guard, log);
  return { kind: 'tcp', host: opts.host, port, close: closer(server) };
}

async function readTlsFiles(opts: TlsListenerOptions): Promise<SecureContextOptions> {
  const read = async (file: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (e) {
      throw new TlsFilesError(`TLS ${what} file ${file} cannot be read: ${(e as Error).message}`);
    }
  };
  return { cert: await read(opts.certFile, 'certificate'), key: await read(opts.keyFile, 'key') };
}

export async function startTlsListener(guard: ConnectionGuard, opts: TlsListenerOptions, log: Logger): Promise<TlsListener> {
  let server: TlsServer;
  /** Admitted raw sockets by peer address and port, until their handshake completes or they close. */
  const handshaking = new Map<string, Socket>();
  const key = (s: { remoteAddress?: string; remotePort?: number }): string => `${s.remoteAddress ?? ''}|${s.remotePort ?? ''}`;
  try {
    // handshakeTimeout only emits tlsClientError; the guard's connect timer closes the socket.
    server = createTlsServer({ ...(await readTlsFiles(opts)), minVersion: 'TLSv1.2', handshakeTimeout: 10_000 }, (tlsSocket) => {
      const raw = handshaking.get(key(tlsSocket));
      if (!raw) return void tlsSocket.destroy(); // closed meanwhile
      handshaking.delete(key(tlsSocket));
      tlsSocket.setNoDelay(true);
      guard.accept(tlsSocket, raw);
    });
  } catch (e) {
    if (e instanceof TlsFilesError) throw e;
    throw new TlsFilesError(`TLS certificate ${opts.certFile} and key ${opts.keyFile} cannot be used: ${(e as Error).message}`);
  }
  server.maxConnections = opts.maxConnections;
  // Limits apply before the (CPU-costly) handshake, on the raw socket.
  server.on('connection', (raw: Socket) => {
    if (!guard.admit(raw, 'tls')) return;
    const k = key(raw);
    handshaking.set(k, raw);
    raw.once('close', () => {
      if (handshaking.get(k) === raw) handshaking.delete(k);
    });
  });
  // A failed handshake (scanner, wrong CA) is the client's problem: debug level, no crash.
  server.on('tlsClientError', (err, socket) => log.debug({ remote: socket.remoteAddress, err: err.message }, 'TLS handshake failed'));
  const port = await listen(server, opts.port, opts.host);
  watchServer(server, 'tls', guard, log);
  return {
    kind: 'tls',
    host: opts.host,
    port,
    close: closer(server),
    async reload() {
      const ctx = await readTlsFiles(opts);
      try {
        server.setSecureContext(ctx);
      } catch (e) {
        throw new TlsFilesError(`TLS certificate ${opts.certFile} and key ${opts.keyFile} cannot be used: ${(e as Error).message}`);
      }
      log.info({ certFile: opts.certFile, keyFile: opts.keyFile }, 'TLS certificate reloaded');
    },
  };
}

/** MQTT over WebSocket (subprotocol "mqtt"), path `/mqtt` or any path. */
export async function startWsListener(guard: ConnectionGuard, opts: TcpListenerOptions, log: Logger): Promise<Listener> {
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' }).end('MQTT over WebSocket: upgrade required\n');
  });
  http.maxConnections = opts.maxConnections;
  http.headersTimeout = 10_000;
  http.requestTimeout = 10_000;
  // Limits apply before any HTTP parsing or upgrade, on the raw socket.
  http.on('connection', (raw: Socket) => {
    if (guard.admit(raw, 'ws')) raw.setNoDelay(true);
  });
  const wss = new WebSocketServer({
    server: http,
    maxPayload: DEFAULT_WS_MAX_PAYLOAD,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', (err) => log.debug({ remote: req.socket.remoteAddress, err: err.message }, 'WebSocket stream error'));
    guard.accept(stream, req.socket, req);
  });
  wss.on('error', (err) => log.error({ err }, 'MQTT WebSocket listener error'));
  const port = await listen(http, opts.port, opts.host);
  watchServer(http, 'ws', guard, log);
  return {
    kind: 'ws',
    host: opts.host,
    port,
    close: closer(http, () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
    }),
  };
}
