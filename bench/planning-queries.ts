/**
 * The planners' questions of bench:planning asked straight in InfluxQL, on the rollups and on raw
 * readings, each timed from request to the folded answer (the work a route does before JSON).
 *
 * - Heatmap: samples and occupancy sums of the scope (`township_use_1h` for the county or a
 *   township, `station_use_1h` for a station) summed per hour in InfluxDB, folded into 168
 *   hour-of-week cells, sample-weighted (the planning route's query); on raw
 *   readings, `mean(occupancy)` and `count(occupancy)` GROUP BY time(1h) over the raw span, folded.
 * - Ranking: per station over the range from `station_use_1d`, the 9 sums and means the planning
 *   route reads (shares = sums / samples), in ranking order (planning-lib.ts byUse); on raw readings the
 *   same means GROUP BY station over the raw span (no sessions: they are not in `station_use`).
 */
import { createTransport } from '../server/src/influx/transport.js';
import { InfluxQLClient, quoteIdent, quoteString } from '../server/src/influx/query.js';
import { M } from '../server/src/planning/measures.js';
import { byUse, foldHeatmap, type HeatCell } from './planning-lib.js';

export interface Timed<T> {
  ms: number;
  answer: T;
}

export async function timed<T>(f: () => Promise<T>): Promise<Timed<T>> {
  const t0 = performance.now();
  const answer = await f();
  return { ms: Math.round((performance.now() - t0) * 10) / 10, answer };
}

export interface RankedStation {
  station: string;
  occupancyMean: number;
  nearFullShare: number;
  fullShare: number;
  samples: number;
  sessions: number | null;
}

const n = (v: unknown): number | null => (typeof v === 'number' ? v : null);

export class PlanningQueries {
  readonly ql: InfluxQLClient;

  constructor(
    url: string,
    private readonly db: string,
    private readonly rawRp: string,
    private readonly rollupRp: string,
  ) {
    const transport = createTransport({ url, api: 'v1', db, rp: rawRp, timeoutMs: 600_000 });
    this.ql = new InfluxQLClient(transport, { db });
  }

  private from(rp: string, m: string): string {
    return `${quoteIdent(this.db)}.${quoteIdent(rp)}.${quoteIdent(m)}`;
  }

  private range = (from: number, to: number) => `time >= ${from}ms AND time < ${to}ms`;

  /**
   * Heatmap of occupancy_mean from the rollups (the county: no scope, a township or a station):
   * samples and occupancy sums per hour summed inside InfluxDB, folded here.
   */
  async heatmap(
    from: number,
    to: number,
    scope: { township?: string; station?: string } = {},
  ): Promise<HeatCell[]> {
    const m = scope.station ? M.stationUse1h : M.townshipUse1h;
    const where = [this.range(from, to)];
    if (scope.station) where.push(`"station" = ${quoteString(scope.station)}`);
    else if (scope.township) where.push(`"township" = ${quoteString(scope.township)}`);
    const rows = await this.ql.rows(
      `SELECT sum("samples") AS "samples", sum("occupancy_sum") AS "n" FROM ${this.from(this.rollupRp, m)} WHERE ${where.join(' AND ')} GROUP BY time(1h) fill(none)`,
      { epoch: 'ms' },
    );
    return foldHeatmap(
      rows.map((r) => {
        const samples = n(r.samples);
        const sum = n(r.n);
        return { time: Number(r.time), value: samples && sum !== null ? sum / samples : null, samples };
      }),
    );
  }

  /** The same heatmap from raw readings: InfluxDB means each hour, the hours are folded here. */
  async heatmapRaw(from: number, to: number): Promise<HeatCell[]> {
    const rows = await this.ql.rows(
      `SELECT mean("occupancy") AS "value", count("occupancy") AS "samples" FROM ${this.from(this.rawRp, M.stationUse)} WHERE ${this.range(from, to)} GROUP BY time(1h) fill(none)`,
      { epoch: 'ms' },
    );
    return foldHeatmap(rows.map((r) => ({ time: Number(r.time), value: n(r.value), samples: n(r.samples) })));
  }

  /** Every station's figures over the range from the daily rollup's sums, most used first. */
  async ranking(from: number, to: number): Promise<RankedStation[]> {
    const rows = await this.ql.rows(
      `SELECT sum("samples") AS "samples", sum("full_n") AS "full_n", sum("near_full_n") AS "near_full_n", sum("all_busy_n") AS "all_busy_n", sum("occupancy_sum") AS "occupancy_sum", sum("sessions") AS "sessions", sum("turned_away") AS "turned_away", sum("energy_wh") AS "energy_wh", mean("heater_on_share") AS "heater_on_share" FROM ${this.from(this.rollupRp, M.stationUse1d)} WHERE ${this.range(from, to)} GROUP BY "station"`,
    );
    return rows
      .map((r) => {
        const samples = n(r.samples) ?? 0;
        const share = (k: string) => (samples ? (n(r[k]) ?? 0) / samples : 0);
        return {
          station: String(r.station),
          occupancyMean: share('occupancy_sum'),
          nearFullShare: share('near_full_n'),
          fullShare: share('full_n'),
          samples,
          sessions: n(r.sessions) ?? 0,
        };
      })
      .sort(byUse);
  }

  /** The same ranking from raw readings over the raw span. */
  async rankingRaw(from: number, to: number): Promise<RankedStation[]> {
    const rows = await this.ql.rows(
      `SELECT mean("occupancy") AS "occupancy_mean", mean("near_full") AS "near_full_share", mean("full") AS "full_share", count("occupancy") AS "samples" FROM ${this.from(this.rawRp, M.stationUse)} WHERE ${this.range(from, to)} GROUP BY "station"`,
    );
    return rows
      .map((r) => ({
        station: String(r.station),
        occupancyMean: n(r.occupancy_mean) ?? 0,
        nearFullShare: n(r.near_full_share) ?? 0,
        fullShare: n(r.full_share) ?? 0,
        samples: n(r.samples) ?? 0,
        sessions: null,
      }))
      .sort(byUse);
  }
}
