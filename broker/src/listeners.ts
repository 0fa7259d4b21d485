/**
 * Network listeners that feed connections to aedes through the connection guard: plain TCP,
 * TLS (certificate and key from files, reloadable without dropping connections) and MQTT over
 * WebSocket. All share one aedes instance.
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

function onSocket(guard: ConnectionGuard) {
  return (socket: Socket): void => {
    socket.setNoDelay(true);
    guard.accept(socket, socket.remoteAddress);
  };
}

export async function startTcpListener(guard: ConnectionGuard, opts: TcpListenerOptions, log: Logger): Promise<Listener> {
  const server = createServer(onSocket(guard));
  server.maxConnections = opts.maxConnections;
  server.on('drop', (d) => log.warn({ remote: d?.remoteAddress, max: opts.maxConnections }, 'connection dropped: too many connections'));
  const port = await listen(server, opts.port, opts.host);
  server.on('error', (err) => log.error({ err }, 'MQTT TCP listener error'));
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
  try {
    server = createTlsServer({ ...(await readTlsFiles(opts)), minVersion: 'TLSv1.2', handshakeTimeout: 10_000 }, onSocket(guard));
  } catch (e) {
    if (e instanceof TlsFilesError) throw e;
    throw new TlsFilesError(`TLS certificate ${opts.certFile} and key ${opts.keyFile} cannot be used: ${(e as Error).message}`);
  }
  server.maxConnections = opts.maxConnections;
  // Banned addresses are cut before the (CPU-costly) TLS handshake; the rest is checked after it.
  server.on('connection', (socket: Socket) => {
    if (socket.remoteAddress !== undefined && guard.isBanned(socket.remoteAddress)) socket.destroy();
  });
  // A failed handshake (scanner, wrong CA) is the client's problem: debug level, no crash.
  server.on('tlsClientError', (err, socket) => log.debug({ remote: socket.remoteAddress, err: err.message }, 'TLS handshake failed'));
  const port = await listen(server, opts.port, opts.host);
  server.on('error', (err) => log.error({ err }, 'MQTT TLS listener error'));
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
  const wss = new WebSocketServer({
    server: http,
    maxPayload: DEFAULT_WS_MAX_PAYLOAD,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    // the guard counts bytes on the TCP socket under the WebSocket
    (stream as typeof stream & { _yizhanBytes?: Socket })._yizhanBytes = req.socket;
    stream.on('error', (err) => log.debug({ remote: req.socket.remoteAddress, err: err.message }, 'WebSocket stream error'));
    guard.accept(stream, req.socket.remoteAddress, req);
  });
  wss.on('error', (err) => log.error({ err }, 'MQTT WebSocket listener error'));
  const port = await listen(http, opts.port, opts.host);
  http.on('error', (err) => log.error({ err }, 'MQTT WebSocket HTTP error'));
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
