/**
 * `npm run bench:ranking-store`: the ranking store (planning/daily-store.ts) at county scale, SQLite
 * and PostgreSQL in one run: 10,000 stations in 100 townships × 365 days of daily rows (3.65 M),
 * filled with one INSERT … SELECT, its months computed (planning_monthly, as the sync does), ANALYZEd,
 * then the ranking's per-station sums timed (median of 3): a year and 28 days over the county, and a
 * year over 10 townships; then one sync chunk written (70,000 rows upserted, its months recomputed). The ranges end on the 16th (as "the last 365 days" asked mid-month): 11 whole months and 15 days. With `--influx`, also the
 * sync's InfluxDB read: 10,000 stations × 14 days of `station_use_1d` in a throw-away influxd, one
 * 7-day chunk read as rows (the sync) versus summed `GROUP BY "station"`.
 *
 *   npm run bench:ranking-store -- [--stations 10000] [--days 365] [--influx] [--out FILE]
 *
 * Writes bench/results/ranking-store.json: {"sqlite": {yearMs, days28Ms, townships10Ms, fillMs}, "postgres": {…}, "influx"?: {…}}.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openStore, type Store } from '../server/src/store/open.js';
import { DailyStore } from '../server/src/planning/daily-store.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { pgAdmin } from '../test/server/store/engines.js';
import { measureInflux } from './ranking-store-influx.js';
import { medianMs } from './planning-influx.js';

const DAY = 86_400_000;
const { values } = parseArgs({
  options: {
    stations: { type: 'string', default: '10000' },
    days: { type: 'string', default: '365' },
    influx: { type: 'boolean', default: false },
    out: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), 'results', 'ranking-store.json') },
  },
});
const STATIONS = Number(values.stations);
const DAYS = Number(values.days);
const TOWNSHIPS = 100;
const TZ = 'Asia/Shanghai';
/** Time to compute planning_monthly from the filled days, ms (the last fill). */
let monthsMs = 0;
/** Local midnight (UTC+8) of 2025-01-01. */
const D0 = Date.parse('2024-12-31T16:00:00Z');

/** The generated row of station i, day j, as SQL over the two series `i` and `j`. */
const ROW = `'st-' || i, ${D0} + CAST(j AS BIGINT) * ${DAY}, 'town-' || (i % ${TOWNSHIPS}), 100, (i + j) % 7, (i + j) % 11, 0, 3.5 * ((i * j) % 13), j % 5, (i + j) % 3, NULL, 0.25, 0`;
const COLS = 'station, day, township, samples, full_n, near_full_n, all_busy_n, occupancy_sum, sessions, turned_away, energy_wh, heater_on_share, synced_at';

async function fill(store: Store): Promise<number> {
  const t0 = performance.now();
  const s = STATIONS - 1;
  const d = DAYS - 1;
  if (store.engine === 'sqlite')
    await sql
      .raw(
        `INSERT INTO planning_daily (${COLS}) WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${s}), ` +
          `d(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM d WHERE j < ${d}) SELECT ${ROW} FROM d, s`,
      )
      .execute(store.db);
  else
    await sql
      .raw(`INSERT INTO planning_daily (${COLS}) SELECT ${ROW} FROM generate_series(0, ${d}) j, generate_series(0, ${s}) i`)
      .execute(store.db);
  const filled = performance.now() - t0;
  const t1 = performance.now();
  await new DailyStore(store.db, TZ).refreshMonths(D0, D0 + DAYS * DAY);
  monthsMs = performance.now() - t1;
  await sql.raw('ANALYZE').execute(store.db);
  return filled;
}

async function measure(store: Store): Promise<Record<string, number>> {
  const fillMs = Math.round(await fill(store));
  const daily = new DailyStore(store.db, TZ);
  // Mid-month, as a ranking asked "the last 365 days" on the 16th is.
  const end = D0 + (DAYS - 15) * DAY;
  const year = await daily.totals('all', end - 365 * DAY, end);
  if (year.size !== STATIONS) throw new Error(`expected ${STATIONS} stations, got ${year.size}`);
  const ten = Array.from({ length: 10 }, (_, k) => `town-${k}`);
  const out = {
    rows: await daily.count(),
    fillMs,
    monthsMs: Math.round(monthsMs),
    yearMs: await medianMs(() => daily.totals('all', end - 365 * DAY, end)),
    days28Ms: await medianMs(() => daily.totals('all', end - 28 * DAY, end)),
    townships10Ms: await medianMs(() => daily.totals(ten, end - 365 * DAY, end)),
  };
  // One backfill chunk as the sync writes it: 7 days of every station (rows already there: the upsert path) and its months.
  const rows = [];
  for (let j = 0; j < 7; j++)
    for (let i = 0; i < STATIONS; i++)
      rows.push({ station: `st-${i}`, day: D0 + (100 + j) * DAY, township: `town-${i % TOWNSHIPS}`, samples: 100, full_n: 1, near_full_n: 2, all_busy_n: 0, occupancy_sum: 7, sessions: 1, turned_away: 0, energy_wh: null, heater_on_share: 0.25 });
  const t0 = performance.now();
  await daily.upsert(rows, { from: D0 + 100 * DAY, to: D0 + 107 * DAY }, { origin: D0, syncedTo: D0 + 107 * DAY, updatedAt: Date.now() });
  const withChunk = { ...out, chunkRows: rows.length, chunkUpsertMs: Math.round(performance.now() - t0) };
  console.log(store.engine, withChunk);
  return withChunk;
}

const results: Record<string, unknown> = {};
const dir = mkdtempSync(join(tmpdir(), 'yz-ranking-store-'));
try {
  const lite = await openStore({ dataDir: dir });
  try {
    results.sqlite = await measure(lite);
  } finally {
    await lite.close();
  }
  const pg = await startPostgres();
  try {
    await pgAdmin(pg.url, 'CREATE DATABASE bench');
    const store = await openStore({ url: pg.url.replace(/\/postgres$/, '/bench'), dataDir: dir });
    try {
      results.postgres = await measure(store);
    } finally {
      await store.close();
    }
  } finally {
    await pg.stop();
  }
  if (values.influx) results.influx = await measureInflux(STATIONS);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
writeFileSync(values.out, JSON.stringify(results, null, 2) + '\n');
console.log(`wrote ${values.out}`);
