/**
 * Load generator: N simulated stations, each its own MQTT connection (client id = username =
 * station id, its own password), publishing the real payloads at QoS 1: telemetry with every
 * non-door sensor (15 readings with 5 sockets) every `periodMs`, door events now and then.
 * Stations are spread evenly over the period.
 *
 * Connections behave like the edge agent's (edge/src/agent/mqtt-link.ts): a CONNACK must come
 * within the agent's connect timeout (10 s), and any failed attempt or dropped connection is
 * retried after the agent's exponential backoff with jitter (1 s doubling to 60 s, equal jitter);
 * unacknowledged messages are resent with DUP after every reconnect. Each station connects from
 * its own loopback address (127.1.0.1, 127.1.0.2, …) unless `sourceAddresses` says otherwise,
 * since a province's stations come from many addresses, so the broker's per-address connect
 * budget applies as it would in the field.
 *
 * Reconnect storm: every connection is dropped at once, all reconnect at once (retrying as above),
 * resend their unacknowledged messages (DUP) and replay their last `replay` telemetry messages
 * under a new boot (an edge spool replay after a reboot).
 *
 * A light MQTT 3.1.1 client (CONNECT from mqtt-packet; PUBLISH encoded and CONNACK/PUBACK parsed
 * here): mqtt.js clients are too heavy for 20,000 in one process. Memory per station is bounded:
 * the reading times of the last `historyMax` telemetry messages (values are a function of time)
 * and at most `maxInflight` encoded unacknowledged packets.
 *
 * Connections: bench/loadgen-links.ts (StationLinks); CLI and IPC commands: bench/loadgen-main.ts.
 */
import type { LoadOptions, LoadStats, StormResult } from './loadgen-types.js';
import { StationLinks, type St } from './loadgen-links.js';
import { newBoot, publishPacket } from './loadgen-wire.js';
import { valueLimit } from '@yizhan/server/ingest/limits';
import type { SensorKindName } from '@yizhan/protocol/serial';

/** Seats of the bench stations (ingest-lib.ts makeProvince): the occupancy range follows them. */
const BENCH_SEATS = { seats: 10 };

export type { LoadOptions, LoadSensor, LoadStation, LoadStats, StormResult } from './loadgen-types.js';

const MB = 1024 * 1024;

export class LoadGenerator extends StationLinks {
  private periodMs: number;
  private cursor = 0;
  private cycleStart = 0;
  private lastPrune = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxInflight: number;
  private readonly historyMax: number;
  private replayedFromMs: number | undefined;

  constructor(o: LoadOptions) {
    super(o);
    this.periodMs = o.periodMs ?? 10_000;
    this.maxInflight = o.maxInflight ?? 50;
    this.historyMax = o.historyMax ?? 12;
  }

  /** Stats with the memory figures of now. */
  snapshot(): LoadStats {
    const m = process.memoryUsage();
    this.stats.memory = {
      rssMB: Math.round(m.rss / MB),
      heapUsedMB: Math.round(m.heapUsed / MB),
      externalMB: Math.round((m.external + m.arrayBuffers) / MB),
    };
    return this.stats;
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
  async storm(replay: number, timeoutMs = 600_000): Promise<StormResult> {
    const before = { ...this.stats, connectFailures: { ...this.stats.connectFailures } };
    const t0 = Date.now();
    this.replayedFromMs = undefined;
    this.dropAll();
    for (const s of this.st) s.replay = replay;
    // Let the old sockets' file descriptors close first (the process's open-file limit may not
    // hold two per station), then every station reconnects at once.
    await new Promise((r) => setTimeout(r, 20));
    for (const s of this.st) this.open(s);
    await this.until(() => this.stats.connected === this.st.length, timeoutMs);
    const ms = Date.now() - t0;
    const failures: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.stats.connectFailures)) {
      const d = v - (before.connectFailures[k] ?? 0);
      if (d) failures[k] = d;
    }
    let retried = 0;
    let maxAttempts = 0;
    for (const s of this.st) {
      if (s.attempts > 1) retried++;
      maxAttempts = Math.max(maxAttempts, s.attempts);
    }
    return {
      ms,
      connected: this.stats.connected,
      stations: this.st.length,
      attempts: this.stats.connectAttempts - before.connectAttempts,
      stationsRetried: retried,
      maxAttempts,
      failures,
      dropped: this.stats.dropped - before.dropped,
      redelivered: this.stats.redelivered - before.redelivered,
      replayedMessages: this.stats.replayedMessages - before.replayedMessages,
      replayedReadings: this.stats.replayedReadings - before.replayedReadings,
      replayedFromMs: this.replayedFromMs,
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.closeAll();
  }

  /** At every CONNACK: after a storm, replay the last telemetry messages under a new boot. */
  protected connected(s: St): void {
    if (s.replay > 0) {
      const replay = s.replay;
      s.replay = 0;
      s.bootId = newBoot();
      s.seq = 0;
      for (const ts of s.history.slice(-replay)) {
        const readings = this.readingsAt(ts);
        if (this.publish(s, 'telemetry', { ...this.env(s, ts), historical: true, readings }, readings.length, false)) {
          this.stats.replayedMessages++;
          this.stats.replayedReadings += readings.length;
          this.replayedFromMs = Math.min(this.replayedFromMs ?? ts, ts);
        }
      }
    }
  }

  private tick(): void {
    if (this.stopped) return;
    const n = this.st.length;
    const now = Date.now();
    if (now - this.lastPrune > 10_000) this.prune(now);
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

  /**
   * The readings of a telemetry message at `ts`: a function of the time, so only times are kept;
   * each inside what its kind can report (the server refuses the rest as out_of_range).
   */
  private readingsAt(ts: number): { sensor: string; kind: string; value: number }[] {
    return this.o.sensors.map((x, i) => {
      const v = ((ts / 1000 + i) % 97) / 2;
      const l = valueLimit(x.kind as SensorKindName, BENCH_SEATS);
      return { ...x, value: l.integer ? Math.floor(v) % (l.max + 1) : Math.min(v, l.max) };
    });
  }

  private telemetry(s: St, now: number): void {
    // Reading times must differ per station: never reuse the previous one.
    const ts = Math.max(now, (s.history.at(-1) ?? 0) + 1);
    const readings = this.readingsAt(ts);
    const sent = this.publish(s, 'telemetry', { ...this.env(s, ts), readings }, readings.length, true);
    const by = sent ? this.stats.sentBySecond : this.stats.skippedBySecond;
    const sec = String(Math.floor(ts / 1000));
    by[sec] = (by[sec] ?? 0) + readings.length;
    if (sent) {
      s.history.push(ts);
      if (s.history.length > this.historyMax) s.history.shift();
    }
    const pDoor = ((this.o.doorEventsPerHour ?? 6) * this.periodMs) / 3_600_000;
    if (Math.random() < pDoor) {
      s.door = 1 - s.door;
      const event = { type: 'state', sensor: 'door', kind: 'door', value: s.door };
      this.publish(s, 'events', { ...this.env(s, ts), event }, 1, true);
    }
  }

  /** Forget per-second counts older than 15 minutes. */
  private prune(now: number): void {
    this.lastPrune = now;
    const old = Math.floor(now / 1000) - 900;
    for (const by of [this.stats.sentBySecond, this.stats.skippedBySecond])
      for (const k of Object.keys(by)) if (Number(k) < old) delete by[k];
  }

  private env(s: St, ts: number) {
    return { v: 1, stationId: s.id, bootId: s.bootId, seq: s.seq++, ts };
  }

  private publish(s: St, leaf: string, payload: object, readings: number, unique: boolean): boolean {
    if (!s.up || !s.sock || s.inflight.size >= this.maxInflight) {
      this.stats.skipped += readings;
      return false;
    }
    do s.msgId = (s.msgId % 65535) + 1;
    while (s.inflight.has(s.msgId));
    const p = publishPacket(`yizhan/v1/stations/${s.id}/${leaf}`, s.msgId, JSON.stringify(payload));
    s.inflight.set(s.msgId, p);
    this.stats.inflight++;
    s.sock.write(p);
    this.stats.messages++;
    this.stats.readings += readings;
    if (unique) this.stats.uniqueReadings += readings;
    return true;
  }
}
