/**
 * The counting controller of the fault test (bench/faults-run.ts): a sensor controller that speaks
 * serial protocol v1 (READINGS only) on the device end of a socat PTY pair, and keeps its own log of
 * every reading it sends — independent of agent, broker, server and InfluxDB.
 *
 * Each READINGS frame carries the controller's per-station sequence number `n` (0, 1, 2, …) in two
 * socket-power channels (hundreds of watts: n ÷ 1000, and n mod 1000, both in 0.1 W), and in every
 * other channel a value that is a known function of `n`, inside what that sensor can report. A
 * point found in InfluxDB is thus identified by the two seq channels stored at the same time, and
 * every value of it checked against what was sent.
 */
import { SensorKind, type SensorKindName } from '@yizhan/protocol/serial';
import { encodeFrame, SeqCounter } from '@yizhan/protocol/serial';
import type { StationConfig } from '@yizhan/station-config/schema';
import { serialTransport, type SimTransport } from '@yizhan/edge/simulator';

export interface PlannedChannel {
  channel: number;
  sensor: string;
  kind: SensorKindName;
  /** The raw value this channel carries in frame n. */
  raw(n: number): number;
}

export interface ChannelPlan {
  station: string;
  channels: PlannedChannel[];
  /** Sensor ids of the two channels that carry n. */
  hi: string;
  lo: string;
}

/** Raw value → the value InfluxDB stores (as the agent scales it). */
export const stored = (kind: SensorKindName, raw: number): number => raw / SensorKind[kind].scale;

/**
 * Which channels carry what, from the station's own config: the first two socket-power sensors
 * carry n; door, occupancy, ambient, the first socket state, water temperature, heater, water level
 * and a third socket power (when the station has them) carry functions of n.
 */
export function planFor(station: StationConfig): ChannelPlan {
  const byKind = (k: SensorKindName) => station.sensors.filter((s) => s.kind === k);
  const power = byKind('socket_power');
  const [hi, lo, third] = power;
  if (!hi || !lo)
    throw new Error(`${station.id}: the fault test needs two socket_power sensors, it has ${power.length}`);
  const seats = Math.max(1, Math.min(station.seats, 20));
  const fns: Partial<Record<SensorKindName, (n: number) => number>> = {
    door: (n) => n % 2,
    occupancy: (n) => n % (seats + 1),
    ambient_temp: (n) => 100 + (n % 200), // 10.0 .. 29.9 °C
    socket_state: (n) => Math.floor(n / 2) % 2, // idle / charging
    water_temp: (n) => 500 + (n % 450), // 50.0 .. 94.9 °C
    heater: (n) => Math.floor(n / 3) % 2,
    water_level: (n) => n % 101,
  };
  const channels: PlannedChannel[] = [
    { channel: hi.channel, sensor: hi.id, kind: 'socket_power', raw: (n) => Math.floor(n / 1000) },
    { channel: lo.channel, sensor: lo.id, kind: 'socket_power', raw: (n) => n % 1000 },
  ];
  if (third)
    channels.push({
      channel: third.channel,
      sensor: third.id,
      kind: 'socket_power',
      raw: (n) => (n * 7) % 1000,
    });
  for (const [kind, raw] of Object.entries(fns) as [SensorKindName, (n: number) => number][]) {
    const s = byKind(kind)[0];
    if (s) channels.push({ channel: s.channel, sensor: s.id, kind, raw });
  }
  return { station: station.id, channels, hi: hi.id, lo: lo.id };
}

/** n from the values of the two seq channels stored at one time (undefined when they make none). */
export function decodeN(hi: number | undefined, lo: number | undefined): number | undefined {
  if (hi === undefined || lo === undefined) return undefined;
  const h = Math.round(hi * 10);
  const l = Math.round(lo * 10);
  if (Math.abs(h - hi * 10) > 1e-6 || Math.abs(l - lo * 10) > 1e-6 || l < 0 || l > 999 || h < 0)
    return undefined;
  return h * 1000 + l;
}

/**
 * One station's controller. `sentAt[n]` is the wall-clock time frame n was handed to the serial
 * port (NaN: the port's write buffer was full and the frame was dropped before the line: never sent).
 */
export class CountingController {
  readonly plan: ChannelPlan;
  readonly sentAt: number[] = [];
  private port: SimTransport | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly seq = new SeqCounter();
  private readonly bootAt = Date.now();

  constructor(
    readonly station: StationConfig,
    private readonly intervalMs: number,
  ) {
    this.plan = planFor(station);
  }

  async attach(devicePath: string): Promise<void> {
    this.port = await serialTransport(devicePath);
  }

  /** Send one frame now and every intervalMs after `delayMs`. */
  start(delayMs = 0): void {
    setTimeout(() => {
      this.send();
      this.timer = setInterval(() => this.send(), this.intervalMs);
    }, delayMs).unref();
  }

  /** Stop sending (the port stays open: closing it would drop what is still in its buffer). */
  pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.pause();
    await this.port?.close();
  }

  /** Frames handed to the line so far. */
  get frames(): number {
    return this.sentAt.filter((t) => !Number.isNaN(t)).length;
  }

  private send(): void {
    const port = this.port;
    if (!port) return;
    const n = this.sentAt.length;
    const buf = encodeFrame({
      type: 'readings',
      seq: this.seq.next(),
      uptimeMs: (Date.now() - this.bootAt) % 2 ** 32,
      readings: this.plan.channels.map((c) => ({ channel: c.channel, raw: c.raw(n) })),
    });
    const dropped = port.stats.droppedBytes;
    const at = Date.now();
    port.write(buf);
    this.sentAt.push(port.stats.droppedBytes > dropped ? NaN : at);
  }
}
