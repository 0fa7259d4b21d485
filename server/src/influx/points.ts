/**
 * The InfluxDB data model (see the team brief; dashboards read exactly this):
 *
 * | measurement      | tags                          | fields                                              |
 * |------------------|-------------------------------|-----------------------------------------------------|
 * | `<sensor kind>`  | station, sensor, township     | value (float)                                       |
 * | `station_status` | station, township             | online (0/1)                                        |
 * | `fault`          | station, sensor, fault        | active (0/1)                                        |
 * | `agent_health`   | station                       | uptime_s, rss_bytes, frames_good, frames_bad,       |
 * |                  |                               | serial_up (0/1), last_frame_age_ms                  |
 *
 * Timestamps are the station's reading time in ms (write precision `ms`), so a redelivered
 * message overwrites the same point instead of adding one.
 */
import { Point } from '@influxdata/influxdb-client';
import type { HealthPayload } from '../../../protocol/src/index.js';
import type { FaultName, SensorKindName } from '../../../protocol/src/serial/constants.js';

export interface StationTags {
  id: string;
  township: string;
}

export function readingPoint(
  st: StationTags,
  sensor: string,
  kind: SensorKindName,
  value: number,
  ts: number,
): Point {
  return new Point(kind)
    .tag('station', st.id)
    .tag('sensor', sensor)
    .tag('township', st.township)
    .floatField('value', value)
    .timestamp(ts);
}

export function statusPoint(st: StationTags, online: boolean, ts: number): Point {
  return new Point('station_status')
    .tag('station', st.id)
    .tag('township', st.township)
    .floatField('online', online ? 1 : 0)
    .timestamp(ts);
}

export function faultPoint(
  st: StationTags,
  sensor: string,
  fault: FaultName,
  active: boolean,
  ts: number,
): Point {
  return new Point('fault')
    .tag('station', st.id)
    .tag('sensor', sensor)
    .tag('fault', fault)
    .floatField('active', active ? 1 : 0)
    .timestamp(ts);
}

export function healthPoint(st: StationTags, h: HealthPayload): Point {
  const bad = Object.values(h.serial.framesBad).reduce((a, b) => a + b, 0);
  const p = new Point('agent_health')
    .tag('station', st.id)
    .floatField('uptime_s', h.uptimeS)
    .floatField('rss_bytes', h.rssBytes)
    .floatField('frames_good', h.serial.framesGood)
    .floatField('frames_bad', bad)
    .floatField('serial_up', h.serial.state === 'up' ? 1 : 0)
    .timestamp(h.ts);
  if (h.serial.lastFrameAgeMs !== null) p.floatField('last_frame_age_ms', h.serial.lastFrameAgeMs);
  return p;
}
