/**
 * Serial frames → MQTT message bodies, using the station config to name channels.
 * Values are scaled to engineering units (scaleRaw). A channel the config does not list is not
 * published: it is reported as a problem `unknown_channel` (the agent counts and logs it once).
 * A READINGS or HELLO listing more than the 100 channels serial v1 allows (§6.1, §6.2) is reported
 * as `too_many_channels`; what can still be trusted goes out: the readings of configured channels
 * (a station file lists at most 100), and the HELLO with its first 100 inventory entries (it is
 * the sign that the controller rebooted).
 */
import type { StationConfig } from '@yizhan/station-config/schema';
import type { EventBody, Reading } from '@yizhan/protocol/mqtt';
import {
  faultFromCode,
  scaleRaw,
  sensorKindFromCode,
  type SensorKindName,
} from '@yizhan/protocol/serial';
import { MAX_CHANNELS_PER_FRAME, type Frame, type HelloFrame } from '@yizhan/protocol/serial';

/**
 * Why (part of) a frame was not published. Counted in health under serial.framesBad next to the
 * decoder's reasons.
 * - `unknown_channel`: a channel the station config does not list
 * - `unknown_fault`: a FAULT code this protocol version does not define
 * - `unexpected_type`: a frame only the edge sends (CONFIG_SET, CONFIG_GET) came from the controller
 * - `too_many_channels`: a READINGS or HELLO lists more than {@link MAX_CHANNELS_PER_FRAME} channels
 */
export type MapProblemReason = 'unknown_channel' | 'unknown_fault' | 'unexpected_type' | 'too_many_channels';
export const MAP_PROBLEM_REASONS: readonly MapProblemReason[] = [
  'unknown_channel',
  'unknown_fault',
  'unexpected_type',
  'too_many_channels',
];

export interface MapProblem {
  reason: MapProblemReason;
  detail: string;
  /** The channel concerned, if any. */
  channel?: number;
}

export type MappedBody = { leaf: 'telemetry'; readings: Reading[] } | { leaf: 'events'; event: EventBody };

export interface MapResult {
  bodies: MappedBody[];
  problems: MapProblem[];
  /** Things worth a log line that are not errors (e.g. a HELLO inventory that differs from the config). */
  notes: string[];
}

interface SensorRef {
  id: string;
  kind: SensorKindName;
}

export class FrameMapper {
  private readonly byChannel = new Map<number, SensorRef>();

  constructor(private readonly station: StationConfig) {
    for (const s of station.sensors) this.byChannel.set(s.channel, { id: s.id, kind: s.kind });
  }

  map(f: Frame): MapResult {
    const r: MapResult = { bodies: [], problems: [], notes: [] };
    switch (f.type) {
      case 'readings': {
        this.checkCount('READINGS', f.readings.length, r);
        const readings: Reading[] = [];
        for (const { channel, raw } of f.readings) {
          const s = this.sensor(channel, r);
          if (s) readings.push({ sensor: s.id, kind: s.kind, value: scaleRaw(s.kind, raw) });
        }
        if (readings.length > 0) r.bodies.push({ leaf: 'telemetry', readings });
        break;
      }
      case 'event': {
        const s = this.sensor(f.channel, r);
        if (s)
          r.bodies.push({
            leaf: 'events',
            event: { type: 'state', sensor: s.id, kind: s.kind, value: scaleRaw(s.kind, f.raw) },
          });
        break;
      }
      case 'fault': {
        const fault = faultFromCode(f.code);
        if (!fault) {
          r.problems.push({
            reason: 'unknown_fault',
            detail: `fault code ${f.code} on channel ${f.channel}`,
            channel: f.channel,
          });
          break;
        }
        const s = this.sensor(f.channel, r);
        if (s)
          r.bodies.push({ leaf: 'events', event: { type: 'fault', sensor: s.id, fault, active: f.active } });
        break;
      }
      case 'hello':
        this.checkCount('HELLO', f.sensors.length, r);
        r.bodies.push({ leaf: 'events', event: this.hello(f, r.notes) });
        break;
      case 'config_set':
      case 'config_get':
        r.problems.push({
          reason: 'unexpected_type',
          detail: `${f.type} frame from the controller (seq ${f.seq})`,
        });
        break;
      case 'heartbeat':
      case 'config_value':
      case 'ack':
      case 'nak':
        // Liveness and answers to our own requests: nothing to publish.
        break;
    }
    return r;
  }

  private checkCount(frame: string, count: number, r: MapResult): void {
    if (count > MAX_CHANNELS_PER_FRAME)
      r.problems.push({
        reason: 'too_many_channels',
        detail: `${frame} lists ${count} channels, serial v1 allows at most ${MAX_CHANNELS_PER_FRAME}`,
      });
  }

  private sensor(channel: number, r: MapResult): SensorRef | undefined {
    const s = this.byChannel.get(channel);
    if (!s)
      r.problems.push({
        reason: 'unknown_channel',
        detail: `channel ${channel} is not in the config of ${this.station.id}`,
        channel,
      });
    return s;
  }

  private hello(f: HelloFrame, notes: string[]): EventBody {
    const sensors = f.sensors.map((s) => ({
      channel: s.channel,
      kind: sensorKindFromCode(s.kind) ?? `unknown:${s.kind}`,
    }));
    const configured = new Map([...this.byChannel].map(([ch, s]) => [ch, s.kind as string]));
    const reported = new Map(sensors.map((s) => [s.channel, s.kind]));
    const diffs: string[] = [];
    for (const [ch, kind] of configured) {
      const got = reported.get(ch);
      if (got === undefined) diffs.push(`channel ${ch} (${kind}) configured but not reported`);
      else if (got !== kind) diffs.push(`channel ${ch} is ${got} on the controller, ${kind} in the config`);
    }
    for (const [ch, kind] of reported)
      if (!configured.has(ch)) diffs.push(`channel ${ch} (${kind}) reported but not configured`);
    if (diffs.length > 0)
      notes.push(`controller inventory differs from the config: ${diffs.slice(0, 10).join('; ')}`);
    const fw = `${f.firmware.major}.${f.firmware.minor}.${f.firmware.patch}`;
    return { type: 'hello', firmware: fw, boardId: f.boardId, sensors: sensors.slice(0, MAX_CHANNELS_PER_FRAME) };
  }
}
