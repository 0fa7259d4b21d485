/**
 * Load generator: N simulated stations, each its own MQTT connection (client id = username =
 * station id, its own password), publishing the real payloads at QoS 1: telemetry with every
 * non-door sensor (15 readings with 5 sockets) every `periodMs`, door events now and then.
 * Stations are spread evenly over the period. Reconnect storm: every connection is dropped at
 * once, all reconnect at once, resend their unacknowledged messages (MQTT redelivery, DUP) and
 * replay their last `replay` telemetry messages under a new boot (an edge spool replay).
 *
 * A light MQTT 3.1.1 client on mqtt-packet (mqtt.js clients are too heavy for 20,000 in one process).
 *
 *   npx tsx bench/loadgen.ts --url mqtt://127.0.0.1:1883 --stations stations.json [--period 10s] [--duration 60s]
 *
 * `stations.json`: `{"stations":[{"id":"st-00001","password":"…"}], "sensors":[{"sensor","kind"}]}`.
 * Forked with an IPC channel (bench/ingest.ts), it takes commands instead: start, period, storm, stats, stop.
 */
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import mqttPacket, { type Packet } from 'mqtt-packet';

export interface LoadStation {
  id: string;
  password?: string;
}
export interface LoadSensor {
  sensor: string;
  kind: string;
}
export interface LoadOptions {
  url: string;
  stations: LoadStation[];
  /** Readings of one telemetry message. */
  sensors: LoadSensor[];
  /** Telemetry period per station, ms. Default 10 000. */
  periodMs?: number;
  /** Door events per station per hour. Default 6. */
  doorEventsPerHour?: number;
  /** Unacknowledged messages per station before new ones are counted as `skipped`. Default 50. */
  maxInflight?: number;
  /** Concurrent connects at start. Default 500. */
  connectConcurrency?: number;
}

export interface LoadStats {
  stations: number;
  connected: number;
  /** Messages and readings handed to the sockets (replays included). */
  messages: number;
  readings: number;
  /** Readings of new telemetry/events (not replays): what must be in InfluxDB once. */
  uniqueReadings: number;
  acked: number;
  inflight: number;
  /** Readings not sent: station not connected or over maxInflight. */
  skipped: number;
  connectErrors: number;
  replayedMessages: number;
  redelivered: number;
  /** New telemetry readings sent / skipped, by reading time (whole seconds since the epoch). */
  sentBySecond: Record<string, number>;
  skippedBySecond: Record<string, number>;
}

interface St {
  id: string;
  password: string | undefined;
  sock: Socket | undefined;
  up: boolean;
  bootId: string;
  seq: number;
  msgId: number;
  inflight: Map<number, Packet & { cmd: 'publish' }>;
  history: { ts: number; readings: { sensor: string; kind: string; value: number }[] }[];
  door: number;
}

export class LoadGenerator {
  private readonly st: St[];
  private readonly host: string;
  private readonly port: number;
  private periodMs: number;
  private cursor = 0;
  private cycleStart = 0;
  private timer: NodeJS.Timeout | undefined;
  private ping: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly stats: LoadStats;

  constructor(private readonly o: LoadOptions) {
    const u = new URL(o.url);
    this.host = u.hostname;
    this.port = Number(u.port || 1883);
    this.periodMs = o.periodMs ?? 10_000;
    this.st = o.stations.map((s) => ({
      id: s.id,
      password: s.password,
      sock: undefined,
      up: false,
      bootId: newBoot(),
      seq: 0,
      msgId: 0,
      inflight: new Map(),
      history: [],
      door: 0,
    }));
    this.stats = {
      stations: this.st.length,
      connected: 0,
      messages: 0,
      readings: 0,
      uniqueReadings: 0,
      acked: 0,
      inflight: 0,
      skipped: 0,
      connectErrors: 0,
      replayedMessages: 0,
      redelivered: 0,
      sentBySecond: {},
      skippedBySecond: {},
    };
  }

  /** Connect every station (bounded concurrency); resolves when all are up or `timeoutMs` passed. */
  async connectAll(concurrency = this.o.connectConcurrency ?? 500, timeoutMs = 300_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let next = 0;
    const worker = async () => {
      while (next < this.st.length && Date.now() < deadline) {
        const s = this.st[next++];
        if (s) await this.connect(s).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, this.st.length) }, worker));
    this.ping ??= setInterval(() => this.pingAll(), 60_000);
    return this.stats.connected;
  }

  /** Start publishing: station i at phase i/N of the period. */
  start(): void {
    this.cycleStart = Date.now();
    this.cursor = 0;
    this.timer ??= setInterval(() => this.tick(), 20);
  }

  setPeriod(ms: number): void {
    this.periodMs = ms;
    this.cycleStart = Date.now();
    this.cursor = 0;
  }

  /** Drop every connection at once, reconnect all at once, redeliver and replay `replay` messages each. */
  async storm(replay: number): Promise<number> {
    const t0 = Date.now();
    for (const s of this.st) {
      s.sock?.destroy();
      s.sock = undefined;
      if (s.up) this.stats.connected--;
      s.up = false;
    }
    await Promise.all(this.st.map((s) => this.connect(s, true, replay).catch(() => undefined)));
    return Date.now() - t0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.ping);
    for (const s of this.st) {
      if (s.sock && s.up) s.sock.write(mqttPacket.generate({ cmd: 'disconnect' }));
      s.sock?.end();
    }
    await new Promise((r) => setTimeout(r, 200));
    for (const s of this.st) s.sock?.destroy();
  }

  private connect(s: St, storm = false, replay = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: this.host, port: this.port });
      sock.setNoDelay(true);
      s.sock = sock;
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      let settled = false;
      const fail = (e: Error) => {
        if (s.sock !== sock) return; // an old connection (dropped in a storm)
        if (s.up) this.stats.connected--;
        s.up = false;
        if (!settled) {
          settled = true;
          this.stats.connectErrors++;
          reject(e);
        }
      };
      parser.on('packet', (p: Packet) => {
        if (p.cmd === 'connack') {
          if (p.returnCode !== 0) return fail(new Error(`connack ${p.returnCode}`));
          s.up = true;
          this.stats.connected++;
          settled = true;
          if (storm) this.afterStorm(s, replay);
          resolve();
        } else if (p.cmd === 'puback' && p.messageId !== undefined) {
          if (s.inflight.delete(p.messageId)) {
            this.stats.acked++;
            this.stats.inflight--;
          }
        }
      });
      sock.on('data', (d) => parser.parse(d));
      sock.on('error', (e) => fail(e));
      sock.on('close', () => fail(new Error('closed')));
      sock.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId: s.id,
          clean: true,
          keepalive: 300,
          username: s.id,
          ...(s.password !== undefined ? { password: Buffer.from(s.password) } : {}),
        }),
      );
    });
  }

  /** After a storm reconnect: resend unacknowledged messages (DUP), then replay history under a new boot. */
  private afterStorm(s: St, replay: number): void {
    for (const p of s.inflight.values()) {
      this.write(s, { ...p, dup: true });
      this.stats.redelivered++;
    }
    s.bootId = newBoot();
    s.seq = 0;
    for (const h of s.history.slice(-replay)) {
      this.publish(
        s,
        'telemetry',
        { ...this.env(s, h.ts), historical: true, readings: h.readings },
        h.readings.length,
        false,
      );
      this.stats.replayedMessages++;
    }
  }

  private tick(): void {
    if (this.stopped) return;
    if (Math.random() < 0.001) this.prune();
    const n = this.st.length;
    const now = Date.now();
    for (;;) {
      const elapsed = now - this.cycleStart;
      const target = Math.min(n, Math.floor((elapsed / this.periodMs) * n));
      while (this.cursor < target) {
        const s = this.st[this.cursor++];
        if (s) this.telemetry(s, now);
      }
      if (this.cursor < n) return;
      this.cursor = 0;
      this.cycleStart += this.periodMs;
    }
  }

  private telemetry(s: St, now: number): void {
    // Reading times must differ per station: never reuse the previous one.
    const last = s.history.at(-1)?.ts ?? 0;
    const ts = Math.max(now, last + 1);
    const readings = this.o.sensors.map((x, i) => ({ ...x, value: ((ts / 1000 + i) % 97) / 2 }));
    const sent = this.publish(s, 'telemetry', { ...this.env(s, ts), readings }, readings.length, true);
    const by = sent ? this.stats.sentBySecond : this.stats.skippedBySecond;
    const sec = String(Math.floor(ts / 1000));
    by[sec] = (by[sec] ?? 0) + readings.length;
    if (sent) {
      s.history.push({ ts, readings });
      if (s.history.length > 12) s.history.shift();
    }
    const pDoor = ((this.o.doorEventsPerHour ?? 6) * this.periodMs) / 3_600_000;
    if (Math.random() < pDoor) {
      s.door = 1 - s.door;
      const event = { type: 'state', sensor: 'door', kind: 'door', value: s.door };
      this.publish(s, 'events', { ...this.env(s, ts), event }, 1, true);
    }
  }

  /** Forget per-second counts older than 15 minutes. */
  private prune(): void {
    const old = Math.floor(Date.now() / 1000) - 900;
    for (const by of [this.stats.sentBySecond, this.stats.skippedBySecond])
      for (const k of Object.keys(by)) if (Number(k) < old) delete by[k];
  }

  private env(s: St, ts: number) {
    return { v: 1, stationId: s.id, bootId: s.bootId, seq: s.seq++, ts };
  }

  private publish(s: St, leaf: string, payload: object, readings: number, unique: boolean): boolean {
    if (!s.up || !s.sock || s.inflight.size >= (this.o.maxInflight ?? 50)) {
      this.stats.skipped += readings;
      return false;
    }
    s.msgId = (s.msgId % 65535) + 1;
    const p = {
      cmd: 'publish' as const,
      topic: `yizhan/v1/stations/${s.id}/${leaf}`,
      payload: Buffer.from(JSON.stringify(payload)),
      qos: 1 as const,
      messageId: s.msgId,
      retain: false,
      dup: false,
    };
    s.inflight.set(s.msgId, p);
    this.stats.inflight++;
    this.write(s, p);
    this.stats.messages++;
    this.stats.readings += readings;
    if (unique) this.stats.uniqueReadings += readings;
    return true;
  }

  private write(s: St, p: Packet): void {
    s.sock?.write(mqttPacket.generate(p));
  }

  private pingAll(): void {
    for (const s of this.st) if (s.up) this.write(s, { cmd: 'pingreq' });
  }
}

function newBoot(): string {
  return randomBytes(6).toString('hex');
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function ms(s: string | undefined, dflt: number): number {
  if (!s) return dflt;
  const m = /^(\d+(?:\.\d+)?)(ms|s|min)?$/.exec(s);
  if (!m) throw new Error(`not a duration: ${s}`);
  const f = m[2] === 'ms' ? 1 : m[2] === 'min' ? 60_000 : 1000;
  return Number(m[1]) * f;
}

type Command =
  | { cmd: 'connect'; concurrency?: number }
  | { cmd: 'start' }
  | { cmd: 'period'; ms: number }
  | { cmd: 'storm'; replay: number }
  | { cmd: 'stats' }
  | { cmd: 'stop' };

async function main(): Promise<void> {
  const file = arg('stations');
  const url = arg('url') ?? 'mqtt://127.0.0.1:1883';
  if (!file)
    throw new Error(
      'usage: loadgen.ts --url mqtt://… --stations stations.json [--period 10s] [--duration 60s]',
    );
  const cfg = JSON.parse(readFileSync(file, 'utf8')) as { stations: LoadStation[]; sensors: LoadSensor[] };
  const gen = new LoadGenerator({
    url,
    stations: cfg.stations,
    sensors: cfg.sensors,
    periodMs: ms(arg('period'), 10_000),
  });
  const send = process.send?.bind(process);
  if (send) {
    process.on('message', (m: Command) => {
      void (async () => {
        switch (m.cmd) {
          case 'connect':
            send({ type: 'connected', connected: await gen.connectAll(m.concurrency) });
            return;
          case 'start':
            gen.start();
            return;
          case 'period':
            gen.setPeriod(m.ms);
            return;
          case 'storm':
            send({ type: 'storm', ms: await gen.storm(m.replay) });
            return;
          case 'stats':
            send({ type: 'stats', stats: gen.stats });
            return;
          case 'stop':
            await gen.stop();
            send({ type: 'stopped' });
            process.exit(0);
        }
      })();
    });
    send({ type: 'ready' });
    return;
  }
  const connected = await gen.connectAll();
  process.stdout.write(`connected ${connected}/${cfg.stations.length}\n`);
  gen.start();
  const end = Date.now() + ms(arg('duration'), 60_000);
  const t = setInterval(() => {
    process.stdout.write(JSON.stringify(gen.stats) + '\n');
    if (Date.now() > end) {
      clearInterval(t);
      void gen.stop().then(() => process.exit(0));
    }
  }, 1000);
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
