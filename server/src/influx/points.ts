/**
 * The InfluxDB data model (docs/data-model.md; dashboards read exactly this):
 *
 * | measurement      | tags                          | fields                                              |
 * |------------------|-------------------------------|-----------------------------------------------------|
 * | `<sensor kind>`  | sensor, station, township     | value (float)                                       |
 * | `station_status` | station, township             | online (0/1)                                        |
 * | `fault`          | fault, sensor, station        | active (0/1)                                        |
 * | `agent_health`   | station                       | uptime_s, rss_bytes, frames_good, frames_bad,       |
 * |                  |                               | serial_up (0/1), last_frame_age_ms                  |
 *
 * Each function returns one line of line protocol, built here rather than through the client's
 * `Point` (which allocates a tag map and sorts it per point: a third of the server's write-path
 * cost at 30,000 readings/s). Tags are written in key order, as InfluxDB stores them. Fields are
 * floats written without the `i` suffix, so every value keeps the float type (a field's type is
 * fixed by its first write). Timestamps are the station's reading time in ms (write precision
 * `ms`), so a redelivered message overwrites the same point instead of adding one.
 */
import type { HealthPayload } from '@yizhan/protocol';
import type { FaultName, SensorKindName } from '@yizhan/protocol/serial';

/** One line of InfluxDB line protocol, no trailing newline. */
export type Line = string;

export interface StationTags {
  id: string;
  township: string;
}

const MEASUREMENT_SPECIAL = /[, \n\r\t]/;
const TAG_SPECIAL = /[,= \n\r\t]/;
const CONTROL: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escapeChar = (c: string): string => CONTROL[c] ?? `\\${c}`;

/**
 * Measurement name: comma and space escaped, line breaks and tabs written as `\n` `\r` `\t`
 * (the same rules as the client's `Point`).
 */
export function escapeMeasurement(s: string): string {
  return MEASUREMENT_SPECIAL.test(s) ? s.replace(/[, \n\r\t]/g, escapeChar) : s;
}

/** Tag key or value: comma, equals sign and space escaped, line breaks and tabs as in escapeMeasurement. */
export function escapeTag(s: string): string {
  return TAG_SPECIAL.test(s) ? s.replace(/[,= \n\r\t]/g, escapeChar) : s;
}

/** `,key=value`, or nothing for an empty value (line protocol has no empty tag values). */
function tag(key: string, value: string): string {
  return value === '' ? '' : `,${key}=${escapeTag(value)}`;
}

/** A float field value. Non-finite numbers cannot be stored: the caller's schema rules them out. */
function float(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`field value ${v} is not a finite number`);
  return String(v);
}

function ms(ts: number): string {
  return String(Math.trunc(ts));
}

export function readingPoint(
  st: StationTags,
  sensor: string,
  kind: SensorKindName,
  value: number,
  ts: number,
): Line {
  return readingHead(st, sensor, kind) + readingTail(value, timeSuffix(ts));
}

/**
 * The part of a reading's line that depends only on station and sensor (measurement, tags and
 * `value=`). The ingest path joins its two parts, each built once (server/src/registry.ts),
 * instead of escaping and formatting the tags for every reading.
 */
export function readingHead(st: StationTags, sensor: string, kind: SensorKindName): string {
  return sensorHead(sensor, kind) + stationHead(st);
}

/** First part of a {@link readingHead}: measurement and sensor tag (the same for many stations). */
export function sensorHead(sensor: string, kind: SensorKindName): string {
  return `${escapeMeasurement(kind)}${tag('sensor', sensor)}`;
}

/** Second part of a {@link readingHead}: station and township tags, then ` value=`. */
export function stationHead(st: StationTags): string {
  return `${tag('station', st.id)}${tag('township', st.township)} value=`;
}

/** The timestamp a line ends with (the number after its last space); NaN when there is none. */
export function lineTime(line: string): number {
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** ` <ms>`: the end of every line of a message with time `ts`. */
export function timeSuffix(ts: number): string {
  return ' ' + ms(ts);
}

/** What follows a {@link readingHead}: the value and the {@link timeSuffix}. */
export function readingTail(value: number, suffix: string): string {
  return float(value) + suffix;
}

export function statusPoint(st: StationTags, online: boolean, ts: number): Line {
  return `station_status${tag('station', st.id)}${tag('township', st.township)} online=${online ? 1 : 0} ${ms(ts)}`;
}

export function faultPoint(
  st: StationTags,
  sensor: string,
  fault: FaultName,
  active: boolean,
  ts: number,
): Line {
  return `fault${tag('fault', fault)}${tag('sensor', sensor)}${tag('station', st.id)} active=${active ? 1 : 0} ${ms(ts)}`;
}

export function healthPoint(st: StationTags, h: HealthPayload): Line {
  let bad = 0;
  for (const n of Object.values(h.serial.framesBad)) bad += n;
  let fields =
    `uptime_s=${float(h.uptimeS)},rss_bytes=${float(h.rssBytes)},frames_good=${float(h.serial.framesGood)},` +
    `frames_bad=${float(bad)},serial_up=${h.serial.state === 'up' ? 1 : 0}`;
  if (h.serial.lastFrameAgeMs !== null) fields += `,last_frame_age_ms=${float(h.serial.lastFrameAgeMs)}`;
  return `agent_health${tag('station', st.id)} ${fields} ${ms(h.ts)}`;
}

/** The planners' derived points (server/src/planning/measures.ts, derive.ts). */
export interface StationUse {
  occupancy: number;
  seats: number;
  full: boolean;
  nearFull: boolean;
  socketsBusy: number;
  sockets: number;
  allBusy: boolean;
  /** The station's position (WGS-84), for maps that read the rollups (Grafana's geomap). */
  lat: number;
  lon: number;
}

export function stationUsePoint(st: StationTags, u: StationUse, ts: number): Line {
  return (
    `station_use${tag('station', st.id)}${tag('township', st.township)} occupancy=${float(u.occupancy)},` +
    `seats=${float(u.seats)},full=${u.full ? 1 : 0},near_full=${u.nearFull ? 1 : 0},` +
    `sockets_busy=${float(u.socketsBusy)},sockets=${float(u.sockets)},all_busy=${u.allBusy ? 1 : 0},` +
    `lat=${float(u.lat)},lon=${float(u.lon)} ${ms(ts)}`
  );
}

export function socketSessionPoint(st: StationTags, sensor: string, ts: number): Line {
  return `socket_session${tag('sensor', sensor)}${tag('station', st.id)}${tag('township', st.township)} started=1 ${ms(ts)}`;
}

export function turnedAwayPoint(st: StationTags, ts: number): Line {
  return `turned_away${tag('station', st.id)}${tag('township', st.township)} count=1 ${ms(ts)}`;
}
