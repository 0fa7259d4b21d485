/**
 * The planners' analytics from the rollups (measures.ts; docs/planning.md "Analytics"):
 *
 * - heatmap: hourly rows (`station_use_1h` for a station, `township_use_1h` for a township or the
 *   county), summed per hour by InfluxDB, folded to 168 Monday-first hour-of-week cells in the
 *   county's time zone; each cell is Σ metric sum ÷ Σ samples (the county: over its townships).
 * - ranking: per-station sums of the daily rows (`station_use_1d`, local days starting in the
 *   range) from the ranking store (daily-store.ts, one SQL GROUP BY), or one InfluxDB `sum()` per
 *   station while the store does not cover the range; the same for the previous range of equal
 *   length; hourly rows are read only for the stations whose hour-of-week reason is shown
 *   (reason.ts).
 */
import type { InfluxQLClient, InfluxQLRow } from '../influx/query.js';
import { quoteIdent, quoteString, rowNumber as num } from '../influx/query.js';
import type { StationEntry } from '../registry.js';
import type { HeatmapAnswer, HeatmapMetric, RankingAnswer, StationFigures } from './analytics-schemas.js';
import { M } from './measures.js';
import type { DailyStore } from './daily-store.js';
import { DAILY_FIELDS, influxAggregate, totalsOf, type Totals } from './daily-fields.js';
import { hourOfWeek, localMidnight, utcOffsetMin } from './zone.js';
import { blockReason, dailyReason, type WeekProfile } from './reason.js';

export interface AnalyticsContext {
  ql: InfluxQLClient;
  /** Retention policy of the rollups. */
  rp: string;
  timeZone: string;
  /** The ranking store; without it the ranking sums in InfluxDB. */
  daily?: {
    store: DailyStore;
    log: { info(obj: object, msg: string): void };
    answered?: (source: 'store' | 'influx') => void;
  };
}

export type HeatmapScope =
  | { kind: 'station'; id: string; name: string }
  | { kind: 'township'; id: string; name: string; tag: string }
  /** townships: the `township` tag values (Chinese names) in scope. */
  | { kind: 'county'; id: string; name: string; townships: 'all' | readonly string[] };


/** `AND (tag = 'a' OR tag = 'b')`; nothing for 'all'; a condition nothing matches for an empty list. */
export function tagFilter(tag: string, values: 'all' | readonly string[]): string {
  if (values === 'all') return '';
  if (values.length === 0) return ` AND ${quoteIdent(tag)} = ''`;
  return ` AND (${values.map((v) => `${quoteIdent(tag)} = ${quoteString(v)}`).join(' OR ')})`;
}

const range = (from: number, to: number) => `time >= ${Math.trunc(from)}ms AND time < ${Math.trunc(to)}ms`;

/** 168 empty accumulators, dow-major. */
function emptyWeek(): WeekProfile {
  return Array.from({ length: 168 }, () => ({ sum: 0, n: 0 }));
}

/** The sum field of the hourly rollups behind each heatmap metric (value = sum ÷ samples). */
export const SUM_OF: Record<HeatmapMetric, string> = {
  occupancy_mean: 'occupancy_sum',
  full_share: 'full_n',
  near_full_share: 'near_full_n',
  all_busy_share: 'all_busy_n',
};

/** Add hourly rows (time, samples, n = the metric's sum) to a week profile. */
export function foldRows(rows: readonly InfluxQLRow[], offsetAt: (t: number) => number, week = emptyWeek()): WeekProfile {
  for (const r of rows) {
    const t = num(r.time);
    const samples = num(r.samples);
    const n = num(r.n);
    if (t === null || samples === null || n === null || samples <= 0) continue;
    const { dow, hour } = hourOfWeek(t, offsetAt(t));
    const c = week[dow * 24 + hour] as { sum: number; n: number };
    c.sum += n;
    c.n += samples;
  }
  return week;
}

export async function heatmap(
  ctx: AnalyticsContext,
  scope: HeatmapScope,
  metric: HeatmapMetric,
  from: number,
  to: number,
): Promise<HeatmapAnswer> {
  const rp = quoteIdent(ctx.rp);
  const where =
    scope.kind === 'station'
      ? `${quoteIdent('station')} = ${quoteString(scope.id)}`
      : scope.kind === 'township'
        ? `${quoteIdent('township')} = ${quoteString(scope.tag)}`
        : `time >= 0${tagFilter('township', scope.townships)}`;
  const m = scope.kind === 'station' ? M.stationUse1h : M.townshipUse1h;
  // Summed per hour inside InfluxDB: a year of the county is 8,760 rows back, not townships × 8,760.
  const rows = await ctx.ql.rows(
    `SELECT sum("samples") AS "samples", sum(${quoteIdent(SUM_OF[metric])}) AS "n" FROM ${rp}.${quoteIdent(m)} ` +
      `WHERE ${where} AND ${range(from, to)} GROUP BY time(1h) fill(none)`,
    { epoch: 'ms' },
  );
  const week = foldRows(rows, (t) => utcOffsetMin(ctx.timeZone, t));
  return {
    scope: { kind: scope.kind, id: scope.id, name: scope.name },
    metric,
    from,
    to,
    timeZone: ctx.timeZone,
    cells: week.map((c, i) => ({ dow: Math.floor(i / 24), hour: i % 24, value: c.n ? c.sum / c.n : null, samples: c.n })),
  };
}

/** Per-station sums of the daily rows whose local day starts in [from, to), from InfluxDB. */
export async function influxDailyTotals(
  ctx: AnalyticsContext,
  townships: 'all' | readonly string[],
  from: number,
  to: number,
): Promise<Map<string, Totals>> {
  const rows = await ctx.ql.rows(
    `SELECT ${DAILY_FIELDS.map((f) => influxAggregate(f, quoteIdent)).join(', ')} ` +
      `FROM ${quoteIdent(ctx.rp)}.${quoteIdent(M.stationUse1d)} WHERE ${range(from, to)}${tagFilter('township', townships)} GROUP BY "station"`,
    { epoch: 'ms' },
  );
  return new Map(rows.map((r) => [String(r.station), totalsOf(r, num)]));
}

/**
 * Per-station sums of the daily rows whose local day starts in [from, to): from the ranking store
 * when it covers the range, else from InfluxDB (logged: the store is still being filled).
 */
export async function dailyTotals(
  ctx: AnalyticsContext,
  townships: 'all' | readonly string[],
  from: number,
  to: number,
): Promise<Map<string, Totals>> {
  const daily = ctx.daily;
  if (daily && (await daily.store.covers(from, to))) {
    daily.answered?.('store');
    return daily.store.totals(townships, from, to);
  }
  if (daily) {
    daily.answered?.('influx');
    daily.log.info(
      { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
      'ranking store does not cover the range yet (first sync running): summing in InfluxDB',
    );
  }
  return influxDailyTotals(ctx, townships, from, to);
}

const share = (n: number, of: number): number | null => (of > 0 ? n / of : null);

/** Inside [from, to): the date's local midnight, else null. */
function markIn(date: string | undefined, timeZone: string, from: number, to: number): number | null {
  if (date === undefined) return null;
  const t = localMidnight(date, timeZone);
  return t >= from && t < to ? t : null;
}

/** Most used first: nearFullShare, then occupancyMean (no data last), then station id. */
export function rankOrder(a: StationFigures, b: StationFigures): number {
  const k = (x: number | null) => (x === null ? -1 : x);
  return k(b.nearFullShare) - k(a.nearFullShare) || k(b.occupancyMean) - k(a.occupancyMean) || a.stationId.localeCompare(b.stationId);
}

export interface RankingRequest {
  stations: readonly StationEntry[];
  /** The `township` tag values (Chinese names) in scope. */
  townships: 'all' | readonly string[];
  /** A station's township code (org/hierarchy.ts). */
  codeOf: (stationId: string) => string;
  from: number;
  to: number;
  /** How many of the most used stations get a reason from their hour-of-week block. */
  detail: number;
}

export async function ranking(ctx: AnalyticsContext, q: RankingRequest): Promise<RankingAnswer> {
  const span = q.to - q.from;
  const [now, prev] = await Promise.all([
    dailyTotals(ctx, q.townships, q.from, q.to),
    dailyTotals(ctx, q.townships, q.from - span, q.from),
  ]);
  const figures = q.stations.map((e): StationFigures => {
    const c = e.config;
    const t = now.get(c.id);
    const p = prev.get(c.id);
    const samples = t?.samples ?? 0;
    const f: StationFigures = {
      stationId: c.id,
      name: c.name,
      township: q.codeOf(c.id),
      seats: c.seats,
      sockets: c.sockets,
      samples,
      occupancyMean: t ? share(t.occupancySum, samples) : null,
      fullShare: t ? share(t.fullN, samples) : null,
      nearFullShare: t ? share(t.nearFullN, samples) : null,
      allBusyShare: t && c.sockets > 0 ? share(t.allBusyN, samples) : null,
      sessions: t?.sessions ?? 0,
      energyKwh: t?.energyWh == null ? null : t.energyWh / 1000,
      turnedAway: t?.turnedAway ?? 0,
      heaterOnShare: t?.heaterOnShare ?? null,
      rank: 1,
      reason: { 'zh-CN': '', en: '' },
      previous: {
        nearFullShare: p ? share(p.nearFullN, p.samples) : null,
        occupancyMean: p ? share(p.occupancySum, p.samples) : null,
        sessions: p?.sessions ?? 0,
      },
      opened: markIn(c.opened, ctx.timeZone, q.from, q.to),
      closed: markIn(c.closed, ctx.timeZone, q.from, q.to),
    };
    f.reason = dailyReason(f);
    return f;
  });
  figures.sort(rankOrder);
  figures.forEach((f, i) => (f.rank = i + 1));
  const detailed = figures.slice(0, q.detail).filter((f) => f.samples > 0);
  if (detailed.length) {
    const rows = await ctx.ql.rows(
      `SELECT "samples", "full_n" AS "n" FROM ${quoteIdent(ctx.rp)}.${quoteIdent(M.stationUse1h)} WHERE ${range(q.from, q.to)}` +
        `${tagFilter('station', detailed.map((f) => f.stationId))} GROUP BY "station"`,
      { epoch: 'ms' },
    );
    const byStation = new Map<string, InfluxQLRow[]>();
    for (const r of rows) {
      const id = String(r.station);
      const list = byStation.get(id);
      if (list) list.push(r);
      else byStation.set(id, [r]);
    }
    for (const f of detailed) {
      const week = foldRows(byStation.get(f.stationId) ?? [], (t) => utcOffsetMin(ctx.timeZone, t));
      f.reason = blockReason(week) ?? f.reason;
    }
  }
  return { from: q.from, to: q.to, stations: figures };
}
