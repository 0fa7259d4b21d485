/**
 * Simulated stations of bench:alerts, each its own mqtt.js connection as the edge agent makes it
 * (client id = username = station id, a retained `offline` will with the connection's ts, a
 * retained `online` status at connect), publishing at QoS 1: readings every `telemetryMs`, health
 * every 30 s (DEFAULT_HEALTH_INTERVAL_MS), spread evenly over the period. `fault(i)` raises a
 * heater_failure fault event; `dark(i)` drops the TCP connection without DISCONNECT, so the
 * broker publishes the will.
 *
 * mqtt.js rather than bench/loadgen.ts: the load generator speaks no will and no status or health;
 * one mqtt.js client costs ~100 KB here, so 10,000 fit in one process.
 */
import { createConnection } from 'node:net';
import { MqttClient } from 'mqtt';
import { loopbackAddress, newBoot } from './loadgen-wire.js';
import { benchStationId } from './alerts-lib.js';
import { sleep } from '../test/helpers/wait.js';

const HEALTH_MS = 30_000;
const topic = (id: string, leaf: string) => `yizhan/v1/stations/${id}/${leaf}`;

interface Sim {
  id: string;
  client: MqttClient;
  boot: string;
  seq: number;
  connectedTs: number;
  dark: boolean;
}

export class BenchStations {
  private readonly sims: Sim[] = [];
  private timers: NodeJS.Timeout[] = [];
  private readonly started = Date.now();
  published = 0;
  publishErrors = 0;
  connectErrors = 0;

  constructor(
    private readonly url: string,
    private readonly secrets: Map<string, string>,
    private readonly n: number,
    private readonly telemetryMs = 10_000,
  ) {}

  /** Connect all stations (`concurrency` at a time) and start their traffic. */
  async start(concurrency = 200): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.n) await this.connect(next++);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    // Every 100 ms, the stations whose slot passed since the last tick: 10,000 stations send
    // ~130 messages a tick, not 1,333 at once each second (real agents are not synchronised).
    const tick = 100;
    let prev = Date.now() - this.started;
    this.timers.push(
      setInterval(() => {
        const t = Date.now() - this.started;
        const due = (offset: number, period: number) =>
          Math.floor((t - offset) / period) !== Math.floor((prev - offset) / period);
        for (let i = 0; i < this.sims.length; i++) {
          if (due((i * this.telemetryMs) / this.sims.length, this.telemetryMs)) this.telemetry(i);
          if (due((i * HEALTH_MS) / this.sims.length, HEALTH_MS)) this.health(i);
        }
        prev = t;
      }, tick),
    );
  }

  /** Publish a heater_failure fault (raised) for station i; resolves with the publish time (ms). */
  fault(i: number): number {
    const at = Date.now();
    this.publish(i, 'events', {
      event: { type: 'fault', sensor: 'heater', fault: 'heater_failure', active: true },
    });
    return at;
  }

  /** Drop station i's connection without DISCONNECT: the broker publishes its will. */
  dark(i: number): void {
    const s = this.sims[i];
    if (!s || s.dark) return;
    s.dark = true;
    s.client.options.reconnectPeriod = 0;
    s.client.stream.destroy();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await Promise.all(this.sims.map((s) => s.client.endAsync(true).catch(() => undefined)));
  }

  private async connect(i: number): Promise<void> {
    const id = benchStationId(i);
    const connectedTs = Date.now();
    const boot = newBoot();
    const { hostname, port } = new URL(this.url);
    // Each station from its own loopback address, as in the field: the broker's per-address
    // pre-auth budget would refuse thousands of connects from one address.
    const stream = () =>
      createConnection({ host: hostname, port: Number(port), localAddress: loopbackAddress(i) });
    const client = new MqttClient(stream, {
      clientId: id,
      username: id,
      password: this.secrets.get(id),
      protocolVersion: 4,
      keepalive: 60,
      reconnectPeriod: 2000,
      connectTimeout: 30_000,
      will: {
        topic: topic(id, 'status'),
        payload: Buffer.from(
          JSON.stringify({
            v: 1,
            stationId: id,
            state: 'offline',
            bootId: boot,
            ts: connectedTs,
            reason: 'will',
          }),
        ),
        qos: 1,
        retain: true,
      },
    });
    const sim: Sim = { id, client, boot, seq: 0, connectedTs, dark: false };
    this.sims[i] = sim;
    // A refused attempt is retried by mqtt.js (reconnectPeriod); errors are counted, not fatal.
    client.on('error', () => this.connectErrors++);
    await new Promise<void>((res) => client.once('connect', () => res()));
    const online = {
      v: 1,
      stationId: id,
      state: 'online',
      bootId: boot,
      ts: connectedTs,
      agentVersion: 'bench',
    };
    await client.publishAsync(topic(id, 'status'), JSON.stringify(online), { qos: 1, retain: true });
    this.telemetry(i);
    this.health(i);
    if (i % 1000 === 999) await sleep(0);
  }

  private telemetry(i: number): void {
    const ts = Date.now();
    this.publish(i, 'telemetry', {
      readings: [
        { sensor: 'occupancy', kind: 'occupancy', value: Math.floor(ts / 60_000 + i) % 5 },
        { sensor: 'ambient', kind: 'ambient_temp', value: 18 },
        { sensor: 'socket-1', kind: 'socket_state', value: 0 },
        { sensor: 'water-temp', kind: 'water_temp', value: 95 },
        { sensor: 'heater', kind: 'heater', value: 0 },
      ],
    });
  }

  private health(i: number): void {
    const uptimeS = Math.round((Date.now() - this.started) / 1000);
    this.publish(i, 'health', {
      agentVersion: 'bench',
      uptimeS,
      rssBytes: 50_000_000,
      serial: { state: 'up', port: '/dev/null', lastFrameAgeMs: 100, framesGood: uptimeS, framesBad: {} },
    });
  }

  private publish(i: number, leaf: string, body: Record<string, unknown>): void {
    const s = this.sims[i];
    if (!s || s.dark) return;
    const payload = JSON.stringify({
      v: 1,
      stationId: s.id,
      bootId: s.boot,
      seq: s.seq++,
      ts: Date.now(),
      ...body,
    });
    this.published++;
    s.client.publish(topic(s.id, leaf), payload, { qos: 1 }, (e) => {
      if (e) this.publishErrors++;
    });
  }
}
