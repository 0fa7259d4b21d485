/**
 * The planners' questions of bench:planning asked straight in InfluxQL, on the rollups and on raw
 * readings, each timed from request to the folded answer (the work a route does before JSON).
 *
 * - Heatmap: hourly rows of the scope (`township_use_1h` for the county or a township,
 *   `station_use_1h` for a station) folded into 168 hour-of-week cells, sample-weighted; on raw
 *   readings, `mean(occupancy)` and `count(occupancy)` GROUP BY time(1h) over the raw span, folded.
 * - Ranking: per station over the range from `station_use_1d` (means of the daily shares, sums of
 *   sessions, turned away, energy), in ranking order (planning-lib.ts byUse); on raw readings the
 *   same means GROUP BY station over the raw span (no sessions: they are not in `station_use`).
 */
import { createTransport } from '../server/src/influx/transport.js';
import { InfluxQLClient, quoteIdent, quoteString, type InfluxQLRow } from '../server/src/influx/query.js';
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

  /** Heatmap of occupancy_mean from the rollups: the county (no scope), a township or a station. */
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
      `SELECT "occupancy_mean", "samples" FROM ${this.from(this.rollupRp, m)} WHERE ${where.join(' AND ')}`,
      { epoch: 'ms' },
    );
    return foldHeatmap(
      rows.map((r) => ({ time: Number(r.time), value: n(r.occupancy_mean), samples: n(r.samples) })),
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

  /** Every station's figures over the range from the daily rollup, most used first. */
  async ranking(from: number, to: number): Promise<RankedStation[]> {
    const rows = await this.ql.rows(
      `SELECT mean("occupancy_mean") AS "occupancy_mean", mean("near_full_share") AS "near_full_share", mean("full_share") AS "full_share", sum("samples") AS "samples", sum("sessions") AS "sessions", sum("turned_away") AS "turned_away", sum("energy_wh") AS "energy_wh" FROM ${this.from(this.rollupRp, M.stationUse1d)} WHERE ${this.range(from, to)} GROUP BY "station"`,
    );
    return rank(rows, true);
  }

  /** The same ranking from raw readings over the raw span. */
  async rankingRaw(from: number, to: number): Promise<RankedStation[]> {
    const rows = await this.ql.rows(
      `SELECT mean("occupancy") AS "occupancy_mean", mean("near_full") AS "near_full_share", mean("full") AS "full_share", count("occupancy") AS "samples" FROM ${this.from(this.rawRp, M.stationUse)} WHERE ${this.range(from, to)} GROUP BY "station"`,
    );
    return rank(rows, false);
  }
}

function rank(rows: readonly InfluxQLRow[], withSessions: boolean): RankedStation[] {
  return rows
    .map((r) => ({
      station: String(r.station),
      occupancyMean: n(r.occupancy_mean) ?? 0,
      nearFullShare: n(r.near_full_share) ?? 0,
      fullShare: n(r.full_share) ?? 0,
      samples: n(r.samples) ?? 0,
      sessions: withSessions ? (n(r.sessions) ?? 0) : null,
    }))
    .sort(byUse);
}
