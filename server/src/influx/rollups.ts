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

export interface RollupOptions {
  db: string;
  /** Raw (source) retention policy. */
  rawRp: string;
  /** Rollup retention policy. Default {@link DEFAULT_ROLLUP_RP}. */
  rp: string;
  /** Its duration, ms. Default {@link DEFAULT_ROLLUP_RETENTION_MS}. */
  retentionMs: number;
}

export const DEFAULT_ROLLUP_RP = 'rollup_2y';
/** Two years (730 days), in ms. */
export const DEFAULT_ROLLUP_RETENTION_MS = 730 * 86_400_000;
/** Water at or above this is "hot" for dispenser uptime, °C. */
export const DISPENSER_HOT_C = 60;

export interface RollupQuery {
  name: string;
  /** `SELECT … INTO … FROM … [WHERE …]` without the time grouping. */
  select: string;
  /** Tags after `time(1h)` in GROUP BY. */
  groupBy: string[];
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
  ];
}

const groupBy = (q: RollupQuery) => `GROUP BY time(1h), ${q.groupBy.map(quoteIdent).join(', ')}`;

export function createStatement(o: RollupOptions, q: RollupQuery): string {
  return `CREATE CONTINUOUS QUERY ${quoteIdent(q.name)} ON ${quoteIdent(o.db)} RESAMPLE EVERY 1h FOR 6h BEGIN ${q.select} ${groupBy(q)} END`;
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
  if (!have) await client.query(`CREATE RETENTION POLICY ${rp} ON ${db} DURATION ${dur} REPLICATION 1`);
  else if (have.duration !== durationString(o.retentionMs))
    await client.query(`ALTER RETENTION POLICY ${rp} ON ${db} DURATION ${dur}`);
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
