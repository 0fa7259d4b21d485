/**
 * Test helpers for the edge agent: an in-test aedes broker on a free port, a real mqtt.js
 * subscriber that records messages, a pino logger that records lines, and polling.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';

export interface TestBroker {
  url: string;
  port: number;
  aedes: Aedes;
  /** Destroy the TCP connection of a client, as a network failure would (no DISCONNECT: the will fires). */
  killClient(clientId: string): boolean;
  close(): Promise<void>;
}

export interface TestBrokerOptions {
  /** Let a client connect? Refused ones get CONNACK "server unavailable" (3). Default: everyone. */
  admit?: (clientId: string) => boolean;
  /** Every message the broker accepts from a client (diagnostics: what reached the broker). */
  onPublish?: (topic: string, payload: Buffer, clientId: string) => void;
}

export async function startTestBroker(port = 0, opts: TestBrokerOptions = {}): Promise<TestBroker> {
  const admit = opts.admit;
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
  const onPublish = opts.onPublish;
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
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `mqtt://127.0.0.1:${actual}`,
    port: actual,
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

export interface Received {
  topic: string;
  retain: boolean;
  json: Record<string, unknown>;
}

export interface Recorder {
  client: MqttClient;
  messages: Received[];
  on(topicSuffix: string): Received[];
  close(): Promise<void>;
}

/** A real mqtt.js client subscribed to `filter`, recording every message as JSON. */
export async function record(url: string, filter = 'yizhan/v1/stations/#'): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, {
    clientId: `rec-${Math.random().toString(36).slice(2)}`,
    reconnectPeriod: 200,
  });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({
      topic,
      retain: packet.retain,
      json: JSON.parse(payload.toString('utf8')) as Record<string, unknown>,
    });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    client,
    messages,
    on: (suffix) => messages.filter((m) => m.topic.endsWith(`/${suffix}`)),
    close: () => client.endAsync(true),
  };
}

/** Poll until `fn` returns a truthy value; throws with `what` after the timeout. */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A pino logger that keeps its lines in memory (level debug). */
export function memoryLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  );
  return { logger, lines };
}

/** Fast backoff for tests: 50 ms .. 400 ms. */
export const FAST_BACKOFF = { initialMs: 50, maxMs: 400, factor: 2, jitter: 0.2 };
