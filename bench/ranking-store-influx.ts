/**
 * The ranking store sync's InfluxDB read at county scale (bench/ranking-store.ts `--influx`):
 * `stations` × 14 days of `station_use_1d` rows written to a throw-away influxd 1.6 (with the
 * server's policies, bench/planning-influx.ts), then one 7-day chunk read the way the sync reads it
 * (rows, no aggregation) versus the old ranking query (nine sums `GROUP BY "station"`) over the same
 * 7 days, and the first sync's query for the oldest row (firstRowQuery) that finds where the daily
 * rows begin (over every series). Median of 3 each. The 14 days end 16 days ago (inside the rollup
 * policy's retention).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from '../server/src/influx/transport.js';
import { InfluxQLClient } from '../server/src/influx/query.js';
import { DAILY_FIELDS } from '../server/src/planning/daily-fields.js';
import { firstRowQuery } from '../server/src/planning/daily-sync.js';
import { LineWriter, medianMs, startBenchInflux } from './planning-influx.js';
import { DAY_MS, localMidnight } from './planning-lib.js';

const DAYS = 14;
const D0 = localMidnight(Date.now()) - 30 * DAY_MS;
const FIELDS = DAILY_FIELDS.map((f) => f.field);

export async function measureInflux(stations: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'yz-ranking-influx-'));
  try {
    const h = await startBenchInflux(join(dir, 'influxd'));
    try {
      return await measure(h.url, h.db, h.rollupRp, stations);
    } finally {
      await h.handle.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(
  url: string,
  db: string,
  rp: string,
  stations: number,
): Promise<Record<string, number>> {
  const ql = new InfluxQLClient(createTransport({ url, api: 'v1', db, rp: 'raw' }), { db });
  const t0 = performance.now();
  const w = new LineWriter({ url, db, rp });
  for (let d = 0; d < DAYS; d++)
    for (let i = 0; i < stations; i++) {
      w.push(
        `station_use_1d,station=st-${i},township=town-${i % 100} samples=100,full_n=${(i + d) % 7},near_full_n=${(i + d) % 11},all_busy_n=0,` +
          `occupancy_sum=${3.5 * ((i * d) % 13)},sessions=${d % 5},turned_away=${(i + d) % 3},energy_wh=12.5,heater_on_share=0.25 ${(D0 + d * DAY_MS) / 1000}`,
      );
      await w.ready();
    }
  await w.close();
  const writeMs = Math.round(performance.now() - t0);
  const where = `WHERE time >= ${D0 + 7 * DAY_MS}ms AND time < ${D0 + 14 * DAY_MS}ms`;
  const from = `FROM "${rp}"."station_use_1d" ${where}`;
  const rowsQ = `SELECT ${FIELDS.map((f) => `"${f}"`).join(', ')}, "station", "township" ${from}`;
  const sumQ = `SELECT ${FIELDS.map((f) => `sum("${f}") AS "${f}"`).join(', ')} ${from} GROUP BY "station"`;
  const got = (await ql.rows(rowsQ, { epoch: 'ms' })).length;
  if (got !== stations * 7) throw new Error(`expected ${stations * 7} rows, got ${got}`);
  const out = {
    stations,
    writeMs,
    chunkRows: got,
    chunk7dRowsMs: await medianMs(() => ql.rows(rowsQ, { epoch: 'ms' })),
    chunk7dGroupByStationMs: await medianMs(() => ql.rows(sumQ, { epoch: 'ms' })),
    firstRowMs: await medianMs(() => ql.query(firstRowQuery(rp, 0), { epoch: 'ms' })),
  };
  console.log('influx', out);
  return out;
}
