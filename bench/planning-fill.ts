/**
 * Fill of bench:planning: one year of the planners' rollups for N synthetic stations, and a span of
 * raw `station_use` readings for some of them, written to InfluxDB 1.x as line protocol in batches
 * with several requests in flight. Every value follows the known pattern of bench/planning-lib.ts.
 *
 * - `station_use_1d`: every station, every day (the ranking reads these).
 * - `township_use_1h`: every township, every hour (the county and township heatmaps).
 * - `station_use_1h`, `sessions_1h`, `turned_away_1h`: only the `detail` stations (a station heatmap,
 *   and the reason a ranking gives for its first and last stations).
 * - `station_use` (raw policy): `rawStations` stations × the raw span, a reading every 10 s.
 */
import { M } from '../server/src/planning/measures.js';
import {
  DAY_MS,
  HOUR_MS,
  SAMPLES_PER_HOUR,
  benchStationId,
  hourFigures,
  lineAfter,
  lineHead,
  rawReading,
  stationPosition,
  stationShape,
  stationUse1dFields,
  stationUse1hFields,
  sumHours,
  townshipUse1hFields,
  type HourFigures,
} from './planning-lib.js';
import { LineWriter } from './planning-influx.js';

export interface FillOptions {
  url: string;
  db: string;
  rawRp: string;
  rollupRp: string;
  stations: number;
  /** Township names (station i is in townships[i % length]). */
  townships: readonly string[];
  /** Rollups cover [from, to): whole local days. */
  from: number;
  to: number;
  /** Station indexes that also get hourly rows. */
  detail: readonly number[];
  batch?: number;
  inFlight?: number;
  progress?: (s: string) => void;
}

export interface FillStats {
  lines: number;
  ms: number;
  linesPerS: number;
}

const stats = (lines: number, t0: number): FillStats => {
  const ms = Math.max(1, Date.now() - t0);
  return { lines, ms, linesPerS: Math.round((lines * 1000) / ms) };
};

/** One year (or `from`–`to`) of rollups for every station. */
export async function fillRollups(o: FillOptions): Promise<FillStats> {
  const t0 = Date.now();
  const w = new LineWriter({ url: o.url, db: o.db, rp: o.rollupRp, batch: o.batch, inFlight: o.inFlight });
  const shapes = Array.from({ length: o.stations }, (_, i) => stationShape(i, o.stations));
  const detail = new Set(o.detail);
  const heads = (m: string) =>
    shapes.map((_, i) =>
      lineHead(m, { station: benchStationId(i), township: o.townships[i % o.townships.length]! }),
    );
  const daily = heads(M.stationUse1d);
  const [hourly, sessions, turned] = [M.stationUse1h, M.sessions1h, M.turnedAway1h].map((m) =>
    o.detail.map((i) =>
      lineHead(m, { station: benchStationId(i), township: o.townships[i % o.townships.length]! }),
    ),
  );
  const townshipHeads = o.townships.map((t) => lineHead(M.townshipUse1h, { township: t }));
  const days = Math.round((o.to - o.from) / DAY_MS);
  for (let d = 0; d < days; d++) {
    const day0 = o.from + d * DAY_MS;
    const township: HourFigures[][][] = o.townships.map(() => Array.from({ length: 24 }, () => []));
    for (let i = 0; i < o.stations; i++) {
      const s = shapes[i]!;
      const hours = Array.from({ length: 24 }, (_, h) => hourFigures(s, day0 + h * HOUR_MS));
      for (let h = 0; h < 24; h++) township[i % o.townships.length]![h]!.push(hours[h]!);
      w.push(lineAfter(daily[i]!, stationUse1dFields(sumHours(hours)), day0));
      const j = detail.has(i) ? o.detail.indexOf(i) : -1;
      for (let h = 0; j >= 0 && h < 24; h++) {
        const at = day0 + h * HOUR_MS;
        const f = hours[h]!;
        w.push(lineAfter(hourly![j]!, stationUse1hFields(f, s.seats, s.sockets, stationPosition(i)), at));
        w.push(lineAfter(sessions![j]!, { sessions: f.sessions }, at));
        w.push(lineAfter(turned![j]!, { turned_away: f.turnedAway }, at));
      }
      await w.ready();
    }
    for (let k = 0; k < o.townships.length; k++)
      for (let h = 0; h < 24; h++)
        w.push(
          lineAfter(townshipHeads[k]!, townshipUse1hFields(sumHours(township[k]![h]!)), day0 + h * HOUR_MS),
        );
    if (d % 30 === 29)
      o.progress?.(`rollups: ${d + 1}/${days} days, ${stats(w.lines, t0).linesPerS} lines/s`);
  }
  await w.close();
  return stats(w.lines, t0);
}

/**
 * Raw `station_use` readings of stations 0…n-1 over [from, to), one every 10 s (planning-lib.ts
 * rawReading: the hour's shares are the rollup's).
 */
export async function fillRaw(
  o: Pick<FillOptions, 'url' | 'db' | 'rawRp' | 'stations' | 'townships' | 'batch' | 'inFlight' | 'progress'>,
  n: number,
  from: number,
  to: number,
): Promise<FillStats> {
  const t0 = Date.now();
  const w = new LineWriter({ url: o.url, db: o.db, rp: o.rawRp, batch: o.batch, inFlight: o.inFlight });
  const step = HOUR_MS / SAMPLES_PER_HOUR;
  const heads = Array.from({ length: n }, (_, i) =>
    lineHead(M.stationUse, { station: benchStationId(i), township: o.townships[i % o.townships.length]! }),
  );
  for (let at = from; at < to; at += HOUR_MS) {
    for (let i = 0; i < n; i++) {
      const s = stationShape(i, o.stations);
      const f = hourFigures(s, at);
      for (let k = 0; k < SAMPLES_PER_HOUR; k++)
        w.push(lineAfter(heads[i]!, rawReading(s, f, k), at + k * step));
      await w.ready();
    }
    o.progress?.(`raw: ${new Date(at).toISOString()} done, ${stats(w.lines, t0).linesPerS} lines/s`);
  }
  await w.close();
  return stats(w.lines, t0);
}
