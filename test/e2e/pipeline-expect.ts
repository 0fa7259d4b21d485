/**
 * What the pipeline should produce from what the controller sent: station/sensor lookups by kind
 * (never by id), frame filters, the agent's frame → message mapping, and the InfluxDB points a
 * sequence of station messages must become.
 */
import type { StationConfig } from '@yizhan/station-config/schema';
import {
  FaultCode,
  scaleRaw,
  type FaultName,
  type SensorKindName,
} from '@yizhan/protocol/serial';
import type { EventFrame, Frame, ReadingsFrame } from '@yizhan/protocol/serial';
import type { ObservedMessage, SentFrame } from './pipeline-stack.js';

/** Readings-only kinds: every point comes from a READINGS frame (no EVENT writes to them). */
export const READINGS_ONLY: readonly SensorKindName[] = [
  'water_temp',
  'socket_power',
  'water_level',
  'ambient_temp',
];
/** Kinds that READINGS and EVENT frames both write. */
export const WITH_EVENTS: readonly SensorKindName[] = ['occupancy', 'door', 'heater', 'socket_state'];

export interface ExpectedPoint {
  time: number;
  value: number;
  sensor: string;
  township: string;
}

interface MessageReading {
  sensor: string;
  kind: string;
  value: number;
}

export function pick(
  all: readonly StationConfig[],
  ok: (s: StationConfig) => boolean,
  what: string,
): StationConfig {
  const s = all.find(ok);
  if (!s) throw new Error(`the sample stations have no ${what}`);
  return s;
}

/** The sensors of one kind, by channel (the simulator's numbering). */
export function sensorsOf(s: StationConfig, kind: SensorKindName): { id: string; channel: number }[] {
  return s.sensors.filter((x) => x.kind === kind).sort((x, y) => x.channel - y.channel);
}

export const isReadings = (f: Frame): f is ReadingsFrame => f.type === 'readings';
export const isEvent = (f: Frame): f is EventFrame => f.type === 'event';

export function rawOf(f: ReadingsFrame, channel: number): number {
  const r = f.readings.find((x) => x.channel === channel);
  if (!r) throw new Error(`READINGS seq ${f.seq} has no channel ${channel}`);
  return r.raw;
}

/** How the agent must name and scale one channel's raw value of this station. */
export function channelMapper(s: StationConfig): (channel: number, raw: number) => MessageReading {
  const byChannel = new Map(s.sensors.map((x) => [x.channel, x]));
  return (channel, raw) => {
    const x = byChannel.get(channel);
    if (!x) throw new Error(`channel ${channel} is not in ${s.id}`);
    return { sensor: x.id, kind: x.kind, value: scaleRaw(x.kind, raw) };
  };
}

/** The readings a telemetry message or a state event carries. */
export function readingsIn(m: ObservedMessage): MessageReading[] {
  if (m.leaf === 'telemetry') return m.json.readings as MessageReading[];
  const e = m.json.event as { type: string } & MessageReading;
  return e.type === 'state' ? [{ sensor: e.sensor, kind: e.kind, value: e.value }] : [];
}

/** The points of one measurement that these messages must give: one per reading, at the message ts. */
export function expectedPoints(
  messages: readonly ObservedMessage[],
  kind: SensorKindName,
  township: string,
): ExpectedPoint[] {
  const out: ExpectedPoint[] = [];
  for (const m of messages)
    for (const r of readingsIn(m))
      if (r.kind === kind) out.push({ time: m.json.ts, value: r.value, sensor: r.sensor, township });
  return out.sort((x, y) => x.time - y.time || x.sensor.localeCompare(y.sensor));
}

/** Sort InfluxDB rows as {@link expectedPoints} does (time, then sensor). */
export function byTimeAndSensor<T extends Record<string, unknown>>(rows: T[]): T[] {
  return [...rows].sort(
    (x, y) => Number(x.time) - Number(y.time) || String(x.sensor).localeCompare(String(y.sensor)),
  );
}

/** The first FAULT frame `fault` (raise or clear) sent at or after `since`. */
export function faultSent(
  frames: readonly SentFrame[],
  fault: FaultName,
  active: boolean,
  since: number,
): SentFrame | undefined {
  return frames.find(
    (x) =>
      x.at >= since &&
      x.frame.type === 'fault' &&
      x.frame.code === FaultCode[fault] &&
      x.frame.active === active,
  );
}
