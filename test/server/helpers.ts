/**
 * Test helpers for the server: station fixtures (by hand, following the station conventions),
 * a plain in-test aedes broker (no auth), a real influxd, a publishing mqtt.js client with payload
 * builders, and a started server on a free port.
 */
import { createServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import type { StationConfig } from '@yizhan/station-config/schema';
import { stationTopic, type TopicLeafValue } from '@yizhan/protocol';
import { startInfluxd, type InfluxdHandle } from '../../scripts/lib/influxd.js';
import { buildApp, type ServerOptions } from '@yizhan/server';
import { createTransport } from '../../server/src/influx/transport.js';
import { InfluxQLClient } from '../../server/src/influx/query.js';

export interface StationFixtureOptions {
  seats?: number;
  sockets?: number;
  setpointC?: number;
  heatingTimeout?: string;
  minRiseC?: number;
  township?: string;
}

/** A station config as the 47 samples are built: door 1, occupancy 2, ambient 3, sockets 10.., power 40.., water 80-82. */
export function stationFixture(id: string, o: StationFixtureOptions = {}): StationConfig {
  const sockets = o.sockets ?? 4;
  const n = id.slice(-3);
  return {
    id,
    name: `测试${n}号驿站`,
    nameEn: `Test Station ${n}`,
    township: o.township ?? '城关镇',
    address: `测试路${n}号`,
    location: { lat: 30, lon: 120 },
    seats: o.seats ?? 10,
    sockets,
    hours: '00:00-24:00',
    dispenser: {
      model: 'TEST-1',
      setpointC: o.setpointC ?? 95,
      ...(o.heatingTimeout ? { heatingTimeout: o.heatingTimeout } : {}),
      ...(o.minRiseC !== undefined ? { minRiseC: o.minRiseC } : {}),
    },
    serial: { path: '/dev/null', baudRate: 115200 },
    sensors: [
      { channel: 1, id: 'door', kind: 'door' },
      { channel: 2, id: 'occupancy', kind: 'occupancy' },
      { channel: 3, id: 'ambient', kind: 'ambient_temp' },
      ...Array.from({ length: sockets }, (_, i) => ({
        channel: 10 + i,
        id: `socket-${i + 1}`,
        kind: 'socket_state' as const,
      })),
      ...Array.from({ length: sockets }, (_, i) => ({
        channel: 40 + i,
        id: `socket-${i + 1}-power`,
        kind: 'socket_power' as const,
      })),
      { channel: 80, id: 'water-temp', kind: 'water_temp' },
      { channel: 81, id: 'heater', kind: 'heater' },
      { channel: 82, id: 'water-level', kind: 'water_level' },
    ],
  };
}

export interface TestBroker {
  url: string;
  close(): Promise<void>;
}

export async function startTestBroker(): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer((s) => aedes.handle(s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

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

import { waitFor } from '../helpers/wait.js';

export { waitFor };

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
  broker: TestBroker;
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
  const [influx, broker] = await Promise.all([startTestInflux(), startTestBroker()]);
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
