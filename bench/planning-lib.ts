/**
 * Pure helpers of bench:planning (bench/planning.ts): the synthetic stations' known pattern, the
 * line protocol of the rollups (server/src/planning/measures.ts) built from it, hour-of-week in the
 * county's zone, folding hourly rows into the 168 heatmap cells, and the labelled extrapolation of
 * a raw-readings timing to a year.
 *
 * The pattern: station i has seats and a busyness b_i (deterministic in i); at hour-of-week (dow,
 * hour) its load is x = b_i · u(dow, hour) · season(day), where u has a lunch peak (11–13) and a
 * dinner peak (17–19) on weekdays and is 60 % of that on weekends. Every figure of an hour follows
 * from x, so the busiest cell of any heatmap is a weekday 12:00 and the most used station is the
 * one with the largest b_i.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Asia/Shanghai has no daylight saving: local time is UTC + 8 h all year. */
export const COUNTY_OFFSET_MS = 8 * HOUR_MS;
/** Readings every 10 s while open (the edge agent's default): samples of one hour. */
export const SAMPLES_PER_HOUR = 360;

export const benchStationId = (i: number): string => `st-${String(i + 1).padStart(5, '0')}`;
export const benchStationName = (i: number): string => `规划压测${i + 1}号驿站`;

/** Monday = 0 … Sunday = 6 and the hour, in the county's zone, of a Unix ms time. */
export function hourOfWeek(ms: number): { dow: number; hour: number } {
  const local = ms + COUNTY_OFFSET_MS;
  const day = Math.floor(local / DAY_MS);
  // 1970-01-01 was a Thursday (Monday = 0 → 3).
  const dow = (((day + 3) % 7) + 7) % 7;
  const hour = Math.floor((local - day * DAY_MS) / HOUR_MS);
  return { dow, hour };
}

/** Local midnight (county zone) at or before `ms`. */
export const localMidnight = (ms: number): number =>
  Math.floor((ms + COUNTY_OFFSET_MS) / DAY_MS) * DAY_MS - COUNTY_OFFSET_MS;

/** Seats and busyness of station i: busyness spread over [0.3, 1.1) by a permutation of i. */
export function stationShape(i: number, n: number): { seats: number; sockets: number; busyness: number } {
  const k = (i * 7919) % n;
  return { seats: 8 + (i % 5) * 4, sockets: 2 + (i % 4) * 2, busyness: 0.3 + (0.8 * k) / n };
}

const WEEK_USE = Array.from({ length: 168 }, (_, k) => {
  const hour = k % 24;
  const peak = (c: number, w: number) => Math.exp(-((hour - c) ** 2) / (2 * w * w));
  const u = 0.15 + 0.75 * peak(12, 1.2) + 0.45 * peak(18, 1.5);
  return k >= 5 * 24 ? 0.6 * u : u;
});

/** Usage of an hour of the week, 0..1: weekday lunch and dinner peaks, weekends at 60 %. */
export const weekUse = (dow: number, hour: number): number => WEEK_USE[dow * 24 + hour]!;

/** Slow yearly swing (±10 %) of day number `day` since the epoch, so months differ. */
export const season = (day: number): number => 1 + 0.1 * Math.sin((2 * Math.PI * day) / 365);

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

export interface HourFigures {
  samples: number;
  occupancyMean: number;
  occupancyMax: number;
  fullShare: number;
  nearFullShare: number;
  allBusyShare: number;
  socketsBusyMean: number;
  sessions: number;
  turnedAway: number;
  energyWh: number;
  heaterOnShare: number;
}

/** The figures of station (seats, sockets, busyness) in the hour starting at `ms`. */
export function hourFigures(shape: ReturnType<typeof stationShape>, ms: number): HourFigures {
  const { dow, hour } = hourOfWeek(ms);
  const x = shape.busyness * weekUse(dow, hour) * season(Math.floor(ms / DAY_MS));
  const fullShare = clamp01((x - 0.7) / 0.3);
  const sessions = Math.round(shape.sockets * x * 1.5);
  return {
    samples: SAMPLES_PER_HOUR,
    occupancyMean: shape.seats * Math.min(1, x),
    occupancyMax: Math.min(shape.seats, Math.ceil(shape.seats * Math.min(1, x * 1.2))),
    fullShare,
    nearFullShare: clamp01((x - 0.6) / 0.3),
    allBusyShare: clamp01((x - 0.5) / 0.4),
    socketsBusyMean: shape.sockets * Math.min(1, x),
    sessions,
    turnedAway: Math.round(fullShare * 4),
    energyWh: sessions * 400,
    heaterOnShare: clamp01(0.2 + 0.3 * x),
  };
}

/** The hour figures that are means or shares: summed weighted by samples, then divided by them. */
const SAMPLE_WEIGHTED = [
  'occupancyMean',
  'fullShare',
  'nearFullShare',
  'allBusyShare',
  'socketsBusyMean',
  'heaterOnShare',
] as const;

/** Sum (counts) or sample-weighted mean (shares, means) of hours. */
export function sumHours(hours: readonly HourFigures[]): HourFigures {
  const out: HourFigures = {
    samples: 0,
    occupancyMean: 0,
    occupancyMax: 0,
    fullShare: 0,
    nearFullShare: 0,
    allBusyShare: 0,
    socketsBusyMean: 0,
    sessions: 0,
    turnedAway: 0,
    energyWh: 0,
    heaterOnShare: 0,
  };
  for (const h of hours) {
    out.samples += h.samples;
    out.occupancyMax = Math.max(out.occupancyMax, h.occupancyMax);
    out.sessions += h.sessions;
    out.turnedAway += h.turnedAway;
    out.energyWh += h.energyWh;
    for (const k of SAMPLE_WEIGHTED)
      out[k] += h[k] * h.samples;
  }
  if (out.samples > 0)
    for (const k of SAMPLE_WEIGHTED)
      out[k] /= out.samples;
  return out;
}

const TAG_SPECIAL = /[,= ]/g;
/** A number as line protocol writes it: a float without the `i` suffix (the server's field types), 4 decimals. */
const num = (v: number): string => String(Math.round(v * 1e4) / 1e4);

/** Measurement and tags of a line, made once per series. */
export const lineHead = (measurement: string, t: Record<string, string>): string =>
  measurement +
  Object.entries(t)
    .map(([k, v]) => `,${k}=${v.replace(TAG_SPECIAL, (c) => `\\${c}`)}`)
    .join('');

/** One line after its head, timestamp in seconds (write with precision=s). */
export function lineAfter(head: string, f: Record<string, number>, ms: number): string {
  let out = `${head} `;
  let first = true;
  for (const k in f) {
    out += `${first ? '' : ','}${k}=${num(f[k]!)}`;
    first = false;
  }
  return `${out} ${Math.round(ms / 1000)}`;
}

/** One line, timestamp in seconds (write with precision=s). */
export const line = (
  measurement: string,
  t: Record<string, string>,
  f: Record<string, number>,
  ms: number,
): string => lineAfter(lineHead(measurement, t), f, ms);

/** The sums of an hour or a day that range figures are computed from (full_n / samples, …). */
const sums = (h: HourFigures): Record<string, number> => ({
  full_n: Math.round(h.fullShare * h.samples),
  near_full_n: Math.round(h.nearFullShare * h.samples),
  all_busy_n: Math.round(h.allBusyShare * h.samples),
  occupancy_sum: Math.round(h.occupancyMean * h.samples),
});

/** `station_use_1h` fields of an hour (the station's position with them, for maps). */
export const stationUse1hFields = (
  h: HourFigures,
  seats: number,
  sockets: number,
  at: { lat: number; lon: number },
): Record<string, number> => ({
  samples: h.samples,
  full_share: h.fullShare,
  near_full_share: h.nearFullShare,
  all_busy_share: h.allBusyShare,
  occupancy_mean: h.occupancyMean,
  occupancy_max: h.occupancyMax,
  seats,
  sockets_busy_mean: h.socketsBusyMean,
  sockets,
  ...sums(h),
  lat: at.lat,
  lon: at.lon,
});

/** `station_use_1d` fields of a day (its hours summed). */
export const stationUse1dFields = (d: HourFigures): Record<string, number> => ({
  samples: d.samples,
  full_share: d.fullShare,
  near_full_share: d.nearFullShare,
  all_busy_share: d.allBusyShare,
  occupancy_mean: d.occupancyMean,
  ...sums(d),
  sessions: d.sessions,
  turned_away: d.turnedAway,
  energy_wh: d.energyWh,
  heater_on_share: d.heaterOnShare,
});

/** `township_use_1h` fields: the hour over every open sample of the township's stations. */
export const townshipUse1hFields = (h: HourFigures): Record<string, number> => ({
  samples: h.samples,
  full_share: h.fullShare,
  near_full_share: h.nearFullShare,
  all_busy_share: h.allBusyShare,
  occupancy_mean: h.occupancyMean,
  ...sums(h),
});

/** Where station i stands: a 100 × 100 grid about 0.01° apart around the sample county (WGS-84). */
export const stationPosition = (i: number): { lat: number; lon: number } => ({
  lat: 29.5 + Math.floor(i / 100) * 0.01,
  lon: 119.5 + (i % 100) * 0.01,
});

export interface HeatCell {
  dow: number;
  hour: number;
  value: number | null;
  samples: number;
}

/**
 * Fold hourly rows (time, value, samples) into 168 cells, dow-major: each cell the sample-weighted
 * mean of its rows; a cell without samples is null.
 */
export function foldHeatmap(
  rows: Iterable<{ time: number; value: number | null; samples: number | null }>,
): HeatCell[] {
  const sum = new Float64Array(168);
  const n = new Float64Array(168);
  for (const r of rows) {
    if (r.value === null || !r.samples) continue;
    const { dow, hour } = hourOfWeek(r.time);
    sum[dow * 24 + hour]! += r.value * r.samples;
    n[dow * 24 + hour]! += r.samples;
  }
  return Array.from({ length: 168 }, (_, k) => ({
    dow: Math.floor(k / 24),
    hour: k % 24,
    value: n[k]! > 0 ? sum[k]! / n[k]! : null,
    samples: n[k]!,
  }));
}

/** The cell with the largest value (first of ties), or undefined when every cell is null. */
export function busiestCell(cells: readonly HeatCell[]): HeatCell | undefined {
  let best: HeatCell | undefined;
  for (const c of cells) if (c.value !== null && (best?.value ?? -Infinity) < c.value) best = c;
  return best;
}

/**
 * A timing on `measuredStations` × `measuredMs` of raw readings scaled linearly to `stations` × a
 * year: an estimate, labelled as such wherever it is written.
 */
export function extrapolateToYear(
  ms: number,
  measuredStations: number,
  measuredMs: number,
  stations: number,
): number {
  return Math.round(ms * (stations / measuredStations) * ((365 * DAY_MS) / measuredMs));
}

/** Median of timings (ms), rounded to 0.1 ms. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return Math.round(m * 10) / 10;
}

/** The fields of raw `station_use` reading k (0…359) of an hour: the first fullShare of them full, and so on. */
export function rawReading(
  shape: ReturnType<typeof stationShape>,
  f: HourFigures,
  k: number,
): Record<string, number> {
  const q = (k + 0.5) / SAMPLES_PER_HOUR;
  const full = q < f.fullShare ? 1 : 0;
  const allBusy = q < f.allBusyShare ? 1 : 0;
  return {
    occupancy: full ? shape.seats : Math.round(f.occupancyMean),
    seats: shape.seats,
    full,
    near_full: q < f.nearFullShare ? 1 : 0,
    sockets_busy: allBusy ? shape.sockets : Math.round(f.socketsBusyMean),
    sockets: shape.sockets,
    all_busy: allBusy,
  };
}

export interface UseFigures {
  station: string;
  nearFullShare: number;
  occupancyMean: number;
}

/** Ranking order: most used first, by nearFullShare, then occupancyMean, then station id. */
export const byUse = (a: UseFigures, b: UseFigures): number =>
  b.nearFullShare - a.nearFullShare ||
  b.occupancyMean - a.occupancyMean ||
  a.station.localeCompare(b.station);

/**
 * By construction, from the raw readings of stations 0…n-1 over [from, to): the mean occupancy of
 * each hour (all stations) and each station's figures in ranking order.
 */
export function expectedRaw(stations: number, n: number, from: number, to: number) {
  const hours: { time: number; value: number; samples: number }[] = [];
  const per = Array.from({ length: n }, (_, i) => ({
    station: benchStationId(i),
    occ: 0,
    near: 0,
    samples: 0,
  }));
  for (let t = from; t < to; t += HOUR_MS) {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const shape = stationShape(i, stations);
      const f = hourFigures(shape, t);
      for (let k = 0; k < SAMPLES_PER_HOUR; k++) {
        const r = rawReading(shape, f, k);
        sum += r.occupancy!;
        count++;
        per[i]!.occ += r.occupancy!;
        per[i]!.near += r.near_full!;
        per[i]!.samples++;
      }
    }
    hours.push({ time: t, value: sum / count, samples: count });
  }
  const ranking = per
    .map((p) => ({ station: p.station, occupancyMean: p.occ / p.samples, nearFullShare: p.near / p.samples }))
    .sort(byUse);
  return { heatmap: foldHeatmap(hours), ranking };
}

export interface Sanity {
  check: string;
  ok: boolean;
  detail: unknown;
}

/**
 * The county heatmap's occupancy_mean at (dow, hour) over [from, to) by construction: the mean of
 * every station's hours at that hour of the week (every station-hour has the same samples).
 */
export function expectedCell(stations: number, from: number, to: number, dow: number, hour: number): number {
  let sum = 0;
  let n = 0;
  for (let t = from; t < to; t += HOUR_MS) {
    const c = hourOfWeek(t);
    if (c.dow !== dow || c.hour !== hour) continue;
    for (let i = 0; i < stations; i++) {
      sum += hourFigures(stationShape(i, stations), t).occupancyMean;
      n++;
    }
  }
  return n ? sum / n : NaN;
}
