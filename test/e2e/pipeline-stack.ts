/**
 * The whole yizhan pipeline with nothing faked, for test/e2e/pipeline.int.test.ts:
 *
 * ```
 * StationSimulator ─▶ socat PTY pair ─▶ edge agent (native serialport) ─MQTT─▶ yizhan broker
 *   (per-station scrypt credentials, ACLs) ─▶ server (buildApp, listening) ─▶ influxd 1.6.7
 *                                               ├─▶ webhook receiver (node:http)
 *                                               └─▶ SSE / station screen ─▶ headless Chromium
 * ```
 * plus an operator account that watches one station's MQTT messages (to know each message's ts).
 * Everything lives under one temp folder; stop() ends it all in reverse order and removes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { setLogger } from '@influxdata/influxdb-client';
import { startBroker, type BrokerHandle } from '@yizhan/broker';
import { provisionAccounts } from '@yizhan/broker/credentials';
import { startAgent, type Agent } from '@yizhan/edge/agent';
import { StationSimulator, type SimTransport } from '@yizhan/edge/simulator';
import type { StationConfig } from '@yizhan/station-config/schema';
import { stationTopic } from '@yizhan/protocol/mqtt';
import type { Frame } from '@yizhan/protocol/serial';
import { startInfluxd, type InfluxdHandle } from '../../scripts/lib/influxd.js';
import { startPtyPair, type PtyPair } from '../../scripts/lib/socat.js';
import { buildApp, type ServerOptions } from '@yizhan/server';
import { captureLogger, startWebhookReceiver, WarpClock, type LogLine } from './pipeline-helpers.js';
import { waitFor } from '../helpers/wait.js';

setLogger({ error: () => {}, warn: () => {} });

export const DB = 'yizhan';
/** Cheap scrypt for test accounts (the default N = 2^15 costs ~100 ms per hash). */
const TEST_SCRYPT = { algo: 'scrypt' as const, N: 2 ** 10, r: 8, p: 1, keyLen: 32 };
const FAST_BACKOFF = { initialMs: 50, maxMs: 400, factor: 2, jitter: 0.2 };

export interface SentFrame {
  /** Wall clock when the simulator sent it. */
  at: number;
  frame: Frame;
}

export interface SimStation {
  config: StationConfig;
  sim: StationSimulator;
  /** The simulator's clock: setRate(0) pauses the controller, setRate(30) runs it 30× faster. */
  clock: WarpClock;
  /** The device end of the PTY, as the simulator holds it (noise goes in here too). */
  line: SimTransport;
  agent: Agent;
  agentLog: LogLine[];
  pty: PtyPair;
  /** Every frame the simulator sent, in order. */
  frames: SentFrame[];
}

export interface ObservedMessage {
  at: number;
  leaf: string;
  json: Record<string, unknown> & { seq: number; ts: number; bootId: string };
}

export interface StationPlan {
  config: StationConfig;
  seed: number;
  /** Simulated seconds per real second (before the clock's rate). */
  speed: number;
  /** Simulated Unix time at boot (drives the daily demand curve). */
  startTime: number;
  tickMs: number;
}

export interface Pipeline {
  root: string;
  influx: InfluxdHandle;
  broker: BrokerHandle;
  brokerLog: LogLine[];
  app: FastifyInstance;
  serverLog: LogLine[];
  url: string;
  hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  /** Messages of the watched station seen by the operator client, deduplicated by (bootId, seq). */
  observed: ObservedMessage[];
  stations: SimStation[];
  browser: BrowserContext;
  stop(): Promise<void>;
}

export async function startPipeline(opts: {
  registry: readonly StationConfig[];
  plans: readonly StationPlan[];
  /** Station whose telemetry/events/health the operator client records. */
  watch: string;
  /**
   * More server options, over the stack's (a routing file, alert rules, townships); `dataDir`
   * relative to the stack's temp folder.
   */
  server?: (root: string) => Partial<ServerOptions>;
}): Promise<Pipeline> {
  const root = mkdtempSync(join(tmpdir(), 'yizhan-e2e-'));
  const cleanups: { name: string; fn: () => Promise<void> }[] = [];
  const stop = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const c of cleanups.splice(0).reverse())
      await c.fn().catch((e: unknown) => errors.push(new Error(`stopping ${c.name}: ${String(e)}`)));
    rmSync(root, { recursive: true, force: true });
    if (errors.length) throw new AggregateError(errors, `${errors.length} part(s) did not stop cleanly`);
  };
  try {
    const credentialsFile = join(root, 'credentials.json');
    const accounts = [
      ...opts.plans.map((p) => ({ username: p.config.id, role: 'station' as const })),
      { username: 'server', role: 'server' as const },
      { username: 'observer', role: 'operator' as const },
    ];
    const [influx, secrets, hook, browser] = await Promise.all([
      startInfluxd({ dir: join(root, 'influxd') }),
      provisionAccounts(credentialsFile, accounts, { params: TEST_SCRYPT }),
      startWebhookReceiver(),
      launchChromium(join(root, 'chromium')),
    ]);
    cleanups.push({ name: 'influxd', fn: () => influx.stop() });
    cleanups.push({ name: 'webhook receiver', fn: () => hook.close() });
    cleanups.push({ name: 'chromium', fn: () => browser.close() });
    const secret = (u: string): string => {
      const s = secrets.get(u);
      if (s === undefined) throw new Error(`no secret provisioned for ${u}`);
      return s;
    };

    const bl = captureLogger('info');
    // state on disk, as npm start runs it (YIZHAN_BROKER_STATE_DIR)
    const broker = await startBroker({
      port: 0,
      credentialsFile,
      logger: bl.logger,
      stateDir: join(root, 'broker-state'),
    });
    cleanups.push({ name: 'broker', fn: () => broker.close() });

    const sl = captureLogger('warn');
    const app = await buildApp({
      stations: opts.registry,
      mqtt: {
        url: broker.url,
        username: 'server',
        password: secret('server'),
        clientId: 'server-e2e',
        reconnectPeriodMs: 200,
      },
      influx: {
        url: influx.url,
        api: 'v1',
        db: DB,
        rp: 'raw',
        writer: { flushIntervalMs: 100 },
        setupBackoff: { minMs: 100, maxMs: 500 },
      },
      alerts: { webhook: { url: hook.url } },
      loggerInstance: sl.logger,
      defaultMetrics: false,
      ...opts.server?.(root),
    });
    cleanups.push({ name: 'server', fn: () => app.close() });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    await waitFor(
      'server /readyz 200 (MQTT subscribed, InfluxDB set up)',
      async () => (await fetch(`${url}/readyz`)).status === 200,
      20_000,
    );

    const observed: ObservedMessage[] = [];
    const observer: MqttClient = await mqtt.connectAsync(broker.url, {
      clientId: 'observer-e2e',
      username: 'observer',
      password: secret('observer'),
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    cleanups.push({ name: 'observer', fn: () => observer.endAsync() });
    const seen = new Set<string>();
    observer.on('message', (topic, payload) => {
      const json = JSON.parse(payload.toString('utf8')) as ObservedMessage['json'];
      const key = `${json.bootId}/${json.seq}`;
      if (seen.has(key)) return;
      seen.add(key);
      observed.push({ at: Date.now(), leaf: topic.split('/').slice(4).join('/'), json });
    });
    await observer.subscribeAsync(
      (['telemetry', 'events', 'health'] as const).map((l) => stationTopic(opts.watch, l)),
      { qos: 1 },
    );

    const stations: SimStation[] = [];
    for (const [i, plan] of opts.plans.entries()) {
      const pty = await startPtyPair(root, String(i));
      cleanups.push({ name: `socat ${plan.config.id}`, fn: () => pty.stop() });
      const config: StationConfig = {
        ...plan.config,
        serial: { ...plan.config.serial, path: pty.agentPath },
      };
      const al = captureLogger('info');
      const agent = await startAgent({
        station: config,
        mqttUrl: broker.url,
        password: secret(config.id),
        logger: al.logger,
        healthIntervalMs: 1000,
        serialBackoff: FAST_BACKOFF,
        mqttBackoff: FAST_BACKOFF,
      });
      cleanups.push({ name: `agent ${config.id}`, fn: () => agent.stop() });
      await waitFor(
        `${config.id}: agent has the PTY open and is connected to the broker`,
        () => al.lines.some((l) => l.msg === 'serial port open') && agent.health().mqtt.connected,
      );
      const clock = new WarpClock();
      const sim = new StationSimulator(plan.config, {
        seed: plan.seed,
        speed: plan.speed,
        startTime: plan.startTime,
        clock,
        tickMs: plan.tickMs,
      });
      const frames: SentFrame[] = [];
      sim.onFrame((_bytes, frame) => frames.push({ at: Date.now(), frame }));
      const line = await sim.attachToPath(pty.devicePath);
      cleanups.push({ name: `simulator ${config.id}`, fn: () => sim.stop() });
      sim.start();
      stations.push({ config, sim, clock, line, agent, agentLog: al.lines, pty, frames });
    }
    return {
      root,
      influx,
      broker,
      brokerLog: bl.lines,
      app,
      serverLog: sl.lines,
      url,
      hook,
      observed,
      stations,
      browser,
      stop,
    };
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
}
