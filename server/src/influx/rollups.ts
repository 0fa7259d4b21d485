/**
 * Long-lived hourly rollups on InfluxDB 1.x: a retention policy (`rollup_2y`, 2 years, not the
 * default) and continuous queries that fill it from the raw policy, created idempotently at start.
 *
 * | continuous query          | into (rollup RP)  | fields                                         | group by                   |
 * |---------------------------|-------------------|------------------------------------------------|----------------------------|
 * | yz_occupancy_1h_v1        | occupancy_1h      | mean, max, samples                             | station, township          |
 * | yz_dispenser_temp_1h_v1   | dispenser_1h      | water_temp_mean, water_temp_min, samples       | station, township          |
 * | yz_dispenser_hot_1h_v1    | dispenser_1h      | hot_samples (water ≥ 60 °C)                    | station, township          |
 * | yz_heater_1h_v1           | dispenser_1h      | heater_on_share                                | station, township          |
 * | yz_socket_use_1h_v1       | socket_use_1h     | in_use_share, used (max 0/1)                   | station, township, sensor  |
 * | yz_station_use_1h_v1      | station_use_1h    | samples, full/near_full/all_busy shares, occupancy mean/max, seats, sockets_busy_mean, sockets, the sums full_n … occupancy_sum, lat, lon | station, township |
 * | yz_township_use_1h_v1     | township_use_1h   | samples, full/near_full/all_busy shares, occupancy_mean, the sums full_n … occupancy_sum | township |
 * | yz_socket_energy_1h_v1    | socket_energy_1h  | energy_wh (integral of socket_power, W·h)      | station, township, sensor  |
 * | yz_sessions_1h_v1         | sessions_1h       | sessions                                       | station, township          |
 * | yz_turned_away_1h_v1      | turned_away_1h    | turned_away                                    | station, township          |
 * | yz_station_use_1d_v1      | station_use_1d    | samples, shares, occupancy_mean, and the sums full_n, near_full_n, all_busy_n, occupancy_sum | station, township (local day) |
 * | yz_sessions_1d_v1         | station_use_1d    | sessions                                       | station, township (local day) |
 * | yz_turned_away_1d_v1      | station_use_1d    | turned_away                                    | station, township (local day) |
 * | yz_energy_1d_v1           | station_use_1d    | energy_wh (sum of socket_energy_1h)            | station, township (local day) |
 * | yz_heater_1d_v1           | station_use_1d    | heater_on_share                                | station, township (local day) |
 *
 * The planners' rollups (planning/measures.ts) read the points derived at ingest. Daily rows are
 * local days of the county (`GROUP BY time(1d, -8h)` for UTC+8, from {@link RollupOptions.timeZone});
 * they and the hourly station rows carry sums (full_n = open samples that were full,
 * occupancy_sum = Σ people) so a range's share is Σ full_n / Σ samples, computed by InfluxDB with
 * sum() over the rows (Grafana's ranking and map read the hourly ones, whose time is in any range). The daily queries
 * run `RESAMPLE EVERY 1h FOR 2d`; yz_energy_1d_v1 reads the hourly energy rollup, computed in the
 * same pass or the one before.
 *
 * Dispenser uptime of an hour = hot_samples / samples (share of readings with drinkable hot water).
 * Each query runs `RESAMPLE EVERY 1h FOR 6h`: every hour the last six hours are computed again, so
 * readings that arrive late (edge replays, the server's spool after an InfluxDB outage) of up to
 * six hours are in the rollups. For longer gaps run {@link backfillStatement} for the range.
 *
 * Names carry a version: a changed definition gets a new name, and `yz_*` queries that are not in
 * the current set are dropped at start, so the set is always exactly this one.
 */
import type { FastifyBaseLogger } from 'fastify';
import { quoteIdent, type InfluxQLClient } from './query.js';
import { influxDuration } from './setup.js';
import { dayOffset } from '../planning/zone.js';
import { M } from '../planning/measures.js';

export interface RollupOptions {
  db: string;
  /** Raw (source) retention policy. */
  rawRp: string;
  /** Rollup retention policy. Default {@link DEFAULT_ROLLUP_RP}. */
  rp: string;
  /** Its duration, ms. Default {@link DEFAULT_ROLLUP_RETENTION_MS}. */
  retentionMs: number;
  /** The county's IANA time zone: daily rollups are its local days. Default Asia/Shanghai. */
  timeZone?: string;
}

export const DEFAULT_ROLLUP_RP = 'rollup_2y';
/** Two years (730 days), in ms. */
export const DEFAULT_ROLLUP_RETENTION_MS = 730 * 86_400_000;
/**
 * Shard group duration of the rollup policy: 52 weeks. InfluxDB 1.x opens a cursor per series,
 * field and shard, and its default for a 2-year policy is 7-day shards: a year's ranking of 10,000
 * stations then walked 52 shards per series and took minutes and >10 GB (bench:planning); with
 * one shard a year it reads each series once. Retention drops whole shards, so data is kept up to
 * 52 weeks past the policy's duration.
 */
export const DEFAULT_ROLLUP_SHARD = '52w';
const ROLLUP_SHARD_SHOWN = '8736h0m0s';
/** Water at or above this is "hot" for dispenser uptime, °C. */
export const DISPENSER_HOT_C = 60;

export interface RollupQuery {
  name: string;
  /** `SELECT … INTO … FROM … [WHERE …]` without the time grouping. */
  select: string;
  /** Tags after `time(…)` in GROUP BY. */
  groupBy: string[];
  /** Bucket: `1h` (default) or `1d` with an offset to local midnight, e.g. `1d, -480m`. */
  time?: string;
}

const PREFIX = 'yz_';

export function rollupQueries(o: RollupOptions): RollupQuery[] {
  const db = quoteIdent(o.db);
  const raw = (m: string) => `${db}.${quoteIdent(o.rawRp)}.${quoteIdent(m)}`;
  const into = (m: string) => `${db}.${quoteIdent(o.rp)}.${quoteIdent(m)}`;
  const st = ['station', 'township'];
  return [
    {
      name: 'yz_occupancy_1h_v1',
      select: `SELECT mean("value") AS "mean", max("value") AS "max", count("value") AS "samples" INTO ${into('occupancy_1h')} FROM ${raw('occupancy')}`,
      groupBy: st,
    },
    {
      name: 'yz_dispenser_temp_1h_v1',
      select: `SELECT mean("value") AS "water_temp_mean", min("value") AS "water_temp_min", count("value") AS "samples" INTO ${into('dispenser_1h')} FROM ${raw('water_temp')}`,
      groupBy: st,
    },
    {
      name: 'yz_dispenser_hot_1h_v1',
      select: `SELECT count("value") AS "hot_samples" INTO ${into('dispenser_1h')} FROM ${raw('water_temp')} WHERE "value" >= ${DISPENSER_HOT_C}`,
      groupBy: st,
    },
    {
      name: 'yz_heater_1h_v1',
      select: `SELECT mean("value") AS "heater_on_share" INTO ${into('dispenser_1h')} FROM ${raw('heater')}`,
      groupBy: st,
    },
    {
      name: 'yz_socket_use_1h_v1',
      select: `SELECT mean("value") AS "in_use_share", max("value") AS "used" INTO ${into('socket_use_1h')} FROM ${raw('socket_state')}`,
      groupBy: [...st, 'sensor'],
    },
    ...planningQueries(raw, into, o),
  ];
}

const USE_SUMS =
  'sum("full") AS "full_n", sum("near_full") AS "near_full_n", sum("all_busy") AS "all_busy_n", sum("occupancy") AS "occupancy_sum"';
const USE_SHARES =
  'count("occupancy") AS "samples", mean("full") AS "full_share", mean("near_full") AS "near_full_share", ' +
  'mean("all_busy") AS "all_busy_share", mean("occupancy") AS "occupancy_mean"';

/** The planners' rollups of the points derived at ingest (planning/measures.ts). */
function planningQueries(
  raw: (m: string) => string,
  into: (m: string) => string,
  o: RollupOptions,
): RollupQuery[] {
  const st = ['station', 'township'];
  const day = `1d, ${dayOffset(o.timeZone ?? 'Asia/Shanghai')}`;
  return [
    {
      name: 'yz_station_use_1h_v1',
      select: `SELECT ${USE_SHARES}, max("occupancy") AS "occupancy_max", max("seats") AS "seats", mean("sockets_busy") AS "sockets_busy_mean", max("sockets") AS "sockets", ${USE_SUMS}, max("lat") AS "lat", max("lon") AS "lon" INTO ${into(M.stationUse1h)} FROM ${raw(M.stationUse)}`,
      groupBy: st,
    },
    {
      name: 'yz_township_use_1h_v1',
      select: `SELECT ${USE_SHARES}, ${USE_SUMS} INTO ${into(M.townshipUse1h)} FROM ${raw(M.stationUse)}`,
      groupBy: ['township'],
    },
    {
      name: 'yz_socket_energy_1h_v1',
      select: `SELECT integral("value", 1h) AS "energy_wh" INTO ${into(M.socketEnergy1h)} FROM ${raw('socket_power')}`,
      groupBy: [...st, 'sensor'],
    },
    {
      name: 'yz_sessions_1h_v1',
      select: `SELECT sum("started") AS "sessions" INTO ${into(M.sessions1h)} FROM ${raw(M.socketSession)}`,
      groupBy: st,
    },
    {
      name: 'yz_turned_away_1h_v1',
      select: `SELECT sum("count") AS "turned_away" INTO ${into(M.turnedAway1h)} FROM ${raw(M.turnedAway)}`,
      groupBy: st,
    },
    {
      name: 'yz_station_use_1d_v1',
      select: `SELECT ${USE_SHARES}, ${USE_SUMS} INTO ${into(M.stationUse1d)} FROM ${raw(M.stationUse)}`,
      groupBy: st,
      time: day,
    },
    {
      name: 'yz_sessions_1d_v1',
      select: `SELECT sum("started") AS "sessions" INTO ${into(M.stationUse1d)} FROM ${raw(M.socketSession)}`,
      groupBy: st,
      time: day,
    },
    {
      name: 'yz_turned_away_1d_v1',
      select: `SELECT sum("count") AS "turned_away" INTO ${into(M.stationUse1d)} FROM ${raw(M.turnedAway)}`,
      groupBy: st,
      time: day,
    },
    {
      name: 'yz_energy_1d_v1',
      select: `SELECT sum("energy_wh") AS "energy_wh" INTO ${into(M.stationUse1d)} FROM ${into(M.socketEnergy1h)}`,
      groupBy: st,
      time: day,
    },
    {
      name: 'yz_heater_1d_v1',
      select: `SELECT mean("value") AS "heater_on_share" INTO ${into(M.stationUse1d)} FROM ${raw('heater')}`,
      groupBy: st,
      time: day,
    },
  ];
}

const groupBy = (q: RollupQuery) =>
  `GROUP BY time(${q.time ?? '1h'}), ${q.groupBy.map(quoteIdent).join(', ')}`;

export function createStatement(o: RollupOptions, q: RollupQuery): string {
  const span = q.time?.startsWith('1d') ? '2d' : '6h';
  return `CREATE CONTINUOUS QUERY ${quoteIdent(q.name)} ON ${quoteIdent(o.db)} RESAMPLE EVERY 1h FOR ${span} BEGIN ${q.select} ${groupBy(q)} END`;
}

/** The query's SELECT … INTO for a time range (ms): fills the rollup for past data, e.g. after an import. */
export function backfillStatement(q: RollupQuery, fromMs: number, toMs: number): string {
  const range = `time >= ${fromMs}ms AND time < ${toMs}ms`;
  const where = q.select.includes(' WHERE ') ? ` AND ${range}` : ` WHERE ${range}`;
  return `${q.select}${where} ${groupBy(q)}`;
}

export interface RollupOutcome {
  created: string[];
  kept: string[];
  dropped: string[];
}

/** Create the rollup policy and the continuous queries (1.x only); idempotent. */
export async function ensureRollups(
  client: InfluxQLClient,
  o: RollupOptions,
  log: FastifyBaseLogger,
): Promise<RollupOutcome> {
  const db = quoteIdent(o.db);
  const rp = quoteIdent(o.rp);
  const dur = influxDuration(o.retentionMs);
  const rps = await client.rows(`SHOW RETENTION POLICIES ON ${db}`);
  const have = rps.find((r) => r.name === o.rp);
  const shard = `SHARD DURATION ${DEFAULT_ROLLUP_SHARD}`;
  if (!have)
    await client.query(`CREATE RETENTION POLICY ${rp} ON ${db} DURATION ${dur} REPLICATION 1 ${shard}`);
  else if (
    have.duration !== durationString(o.retentionMs) ||
    have.shardGroupDuration !== ROLLUP_SHARD_SHOWN
  ) {
    // Only shards made from now on get the new duration; the older ones age out.
    await client.query(`ALTER RETENTION POLICY ${rp} ON ${db} DURATION ${dur} ${shard}`);
    log.info(
      { rp: o.rp, shardGroupDuration: have.shardGroupDuration },
      'rollup policy altered (new shards are 52 weeks)',
    );
  }
  const wanted = rollupQueries(o);
  const existing = await existingQueries(client, o.db);
  const out: RollupOutcome = { created: [], kept: [], dropped: [] };
  for (const name of existing)
    if (name.startsWith(PREFIX) && !wanted.some((q) => q.name === name)) {
      await client.query(`DROP CONTINUOUS QUERY ${quoteIdent(name)} ON ${db}`);
      out.dropped.push(name);
    }
  for (const q of wanted) {
    if (existing.includes(q.name)) {
      out.kept.push(q.name);
      continue;
    }
    await client.query(createStatement(o, q));
    out.created.push(q.name);
  }
  log.info({ rp: o.rp, duration: dur, ...out }, 'influx rollup policy and continuous queries ready');
  return out;
}

async function existingQueries(client: InfluxQLClient, db: string): Promise<string[]> {
  const res = await client.query('SHOW CONTINUOUS QUERIES');
  const names: string[] = [];
  for (const r of res)
    for (const s of r.series) {
      if (s.name !== db) continue;
      const i = s.columns.indexOf('name');
      for (const v of s.values) if (typeof v[i] === 'string') names.push(v[i]);
    }
  return names;
}

/** How 1.x shows a duration (`17520h0m0s`). */
function durationString(ms: number): string {
  const d = influxDuration(ms);
  const h = d.endsWith('d') ? Number(d.slice(0, -1)) * 24 : Number(d.slice(0, -1));
  return `${h}h0m0s`;
}
