/**
 * Test helpers for the server: a real influxd, a publishing mqtt.js client with payload builders,
 * and a started server on a free port.
 */
import { createServer as createHttpServer } from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { stationTopic, type TopicLeafValue } from '@yizhan/protocol';
import { startInfluxd, type InfluxdHandle } from '../../scripts/lib/influxd.js';
import { buildApp, type ServerOptions } from '@yizhan/server';
import { createTransport } from '../../server/src/influx/transport.js';
import { InfluxQLClient } from '../../server/src/influx/query.js';
import type { PointSink } from '../../server/src/influx/writer.js';
import { Ingestor } from '../../server/src/ingest/ingest.js';
import type { LineLog } from '../../server/src/ingest/redelivery.js';
import type { Metrics } from '../../server/src/metrics.js';
import { StationRegistry } from '../../server/src/registry.js';
import { StateStore } from '../../server/src/state/store.js';
import { stationFixture } from '../helpers/station.js';
import { startPlainBroker, type PlainBroker } from '../helpers/mqtt-broker.js';
import { waitFor } from '../helpers/wait.js';

export interface TestInflux extends InfluxdHandle {
  cleanup(): Promise<void>;
}

export async function startTestInflux(port?: number): Promise<TestInflux> {
  const dir = mkdtempSync(join(tmpdir(), 'yz-server-influx-'));
  const h = await startInfluxd({ dir, port });
  return {
    ...h,
    async cleanup() {
      await h.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Station-side message builders; every call gets the next seq of one boot. */
export class FakeStation {
  seq = 0;
  constructor(
    readonly id: string,
    readonly bootId = `boot-${Math.random().toString(36).slice(2, 12)}`,
  ) {}
  private env(ts: number) {
    return { v: 1, stationId: this.id, bootId: this.bootId, seq: this.seq++, ts };
  }
  telemetry(readings: { sensor: string; kind: string; value: number }[], ts = Date.now()) {
    return { ...this.env(ts), readings };
  }
  state(sensor: string, kind: string, value: number, ts = Date.now()) {
    return { ...this.env(ts), event: { type: 'state', sensor, kind, value } };
  }
  fault(sensor: string, fault: string, active: boolean, ts = Date.now()) {
    return { ...this.env(ts), event: { type: 'fault', sensor, fault, active } };
  }
  status(state: 'online' | 'offline', ts = Date.now(), reason?: string) {
    return { v: 1, stationId: this.id, state, bootId: this.bootId, ts, ...(reason ? { reason } : {}) };
  }
}

export interface Publisher {
  client: MqttClient;
  /** Publish JSON (object), or raw text/bytes, at QoS 1; resolves when the broker acknowledged. */
  pub(stationId: string, leaf: TopicLeafValue, payload: unknown, opts?: { retain?: boolean }): Promise<void>;
  pubTopic(topic: string, payload: string | Buffer): Promise<void>;
  close(): Promise<void>;
}

export async function publisher(url: string): Promise<Publisher> {
  const client = await mqtt.connectAsync(url, {
    clientId: `pub-${Math.random().toString(36).slice(2)}`,
    reconnectPeriod: 200,
  });
  const raw = (p: unknown) => (typeof p === 'string' || Buffer.isBuffer(p) ? p : JSON.stringify(p));
  return {
    client,
    async pub(stationId, leaf, payload, opts = {}) {
      await client.publishAsync(stationTopic(stationId, leaf), raw(payload), {
        qos: 1,
        retain: opts.retain ?? false,
      });
    },
    async pubTopic(topic, payload) {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    close: () => client.endAsync(),
  };
}

export interface StartedServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** Build, listen on a free port, and wait until /readyz says ready. */
export async function startServer(
  opts: Omit<ServerOptions, 'mqtt' | 'influx'> & {
    mqttUrl: string;
    influxUrl: string;
  } & Partial<ServerOptions>,
): Promise<StartedServer> {
  const { mqttUrl, influxUrl, ...rest } = opts;
  const app = await buildApp({
    loggerInstance: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    defaultMetrics: false,
    ...rest,
    mqtt: opts.mqtt ?? {
      url: mqttUrl,
      clientId: `yizhan-server-${Math.random().toString(36).slice(2, 8)}`,
      reconnectPeriodMs: 200,
    },
    influx: opts.influx ?? {
      url: influxUrl,
      api: 'v1',
      db: 'yizhan',
      rp: 'raw',
      writer: { flushIntervalMs: 100 },
      setupBackoff: { minMs: 100, maxMs: 500 },
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  await waitFor('server ready', async () => (await fetch(`${url}/readyz`)).status === 200, 20_000);
  return { app, url, close: () => app.close() };
}

/** The value of one sample in Prometheus text format, or undefined. Labels must match exactly. */
export { valueOf as metric } from '../helpers/prom.js';

export interface ServerProcess {
  /** stdout and stderr as they came, so far. */
  output(): string;
  /** Once it exited: the exit code and what each stream printed. */
  done: Promise<{ code: number | null; out: string; err: string }>;
  kill(sig: NodeJS.Signals): void;
  /** Still running. */
  readonly running: boolean;
}

/** The settings of a server main serving on 127.0.0.1:`port` against a test broker and influxd. */
export function serverMainEnv(o: {
  port: number;
  mqttUrl: string;
  clientId: string;
  influxUrl: string;
  stationsDir: string;
}): Record<string, string> {
  return {
    YIZHAN_HTTP_HOST: '127.0.0.1',
    YIZHAN_HTTP_PORT: String(o.port),
    YIZHAN_MQTT_URL: o.mqttUrl,
    YIZHAN_MQTT_CLIENT_ID: o.clientId,
    INFLUX_URL: o.influxUrl,
    YIZHAN_STATIONS_DIR: o.stationsDir,
  };
}

/** Resolves once the server main on 127.0.0.1:`port` answers /readyz with 200 (its start takes seconds). */
export async function serverMainReady(port: number): Promise<void> {
  await waitFor(
    'server main ready',
    async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
    30_000,
    200,
  );
}

/** The real entry point, server/src/main.ts, as a child process with only `env` (plus PATH and HOME). */
export function spawnServerMain(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: join(import.meta.dirname, '../..'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let all = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    all += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
    all += c.toString();
  });
  return {
    output: () => all,
    done: new Promise((resolve) => child.once('exit', (code) => resolve({ code, out, err }))),
    kill: (sig) => child.kill(sig),
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
  };
}

export interface HookReceiver {
  /** The URL to give the alert webhook. */
  url: string;
  close(): Promise<void>;
}

/** An HTTP server that answers every webhook POST with 200 and appends its JSON body to `into`. */
export async function startHookReceiver<T>(into: T[]): Promise<HookReceiver> {
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      into.push(JSON.parse(body) as T);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return {
    url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hook`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface Stack {
  influx: TestInflux;
  broker: PlainBroker;
  server: StartedServer;
  pub: Publisher;
  /** InfluxQL on the test database. */
  ql: InfluxQLClient;
  /** GET through app.inject. */
  getJson<T>(path: string, init?: { headers?: Record<string, string> }): Promise<{ status: number; body: T }>;
  metricsText(): Promise<string>;
  close(): Promise<void>;
}

/** influxd + aedes + a listening server + a publisher, all real. */
export async function startStack(
  opts: Omit<Parameters<typeof startServer>[0], 'mqttUrl' | 'influxUrl'>,
): Promise<Stack> {
  const [influx, broker] = await Promise.all([startTestInflux(), startPlainBroker()]);
  const server = await startServer({ ...opts, mqttUrl: broker.url, influxUrl: influx.url });
  const pub = await publisher(broker.url);
  const ql = new InfluxQLClient(createTransport({ url: influx.url, api: 'v1', db: 'yizhan', rp: 'raw' }), {
    db: 'yizhan',
  });
  return {
    influx,
    broker,
    server,
    pub,
    ql,
    async getJson<T>(path: string, init?: { headers?: Record<string, string> }) {
      const r = await server.app.inject({ method: 'GET', url: path, headers: init?.headers });
      return { status: r.statusCode, body: r.json<T>() };
    },
    metricsText: async () => (await server.app.inject('/metrics')).body,
    async close() {
      await pub.close();
      await server.close();
      await Promise.all([broker.close(), influx.cleanup()]);
    },
  };
}

/** An Ingestor for st-001 writing to `sink`, remembering a message once the sink's log made it durable. */
export function ingestorFor(
  sink: PointSink & LineLog,
  metrics: Metrics,
  observe: () => void = () => {},
): Ingestor {
  const registry = new StationRegistry([stationFixture('st-001')]);
  return new Ingestor({
    registry,
    store: new StateStore(registry),
    sink,
    lineLog: sink,
    listener: { observe },
    metrics,
    log: pino({ level: 'silent' }),
  });
}
