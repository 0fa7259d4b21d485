/**
 * The ranking store sync's InfluxDB read at county scale (bench/ranking-store.ts `--influx`):
 * `stations` × 14 days of `station_use_1d` rows written to a throw-away influxd 1.6, then one
 * 7-day chunk read the way the sync reads it (rows, no aggregation) versus the old ranking query
 * (nine sums `GROUP BY "station"`) over the same 7 days, and the first sync's query for the oldest row (firstRowQuery) that finds
 * where the daily rows begin (over every series). Median of 3 each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInfluxd } from '../scripts/lib/influxd.js';
import { createTransport } from '../server/src/influx/transport.js';
import { InfluxQLClient } from '../server/src/influx/query.js';
import { DAILY_FIELDS } from '../server/src/planning/daily-fields.js';
import { firstRowQuery } from '../server/src/planning/daily-sync.js';

const DAY = 86_400_000;
const DAYS = 14;
const D0 = Date.parse('2024-12-31T16:00:00Z');
const FIELDS = DAILY_FIELDS.map((f) => f.field);

async function median(run: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  return Math.round(ms.sort((a, b) => a - b)[1] as number);
}

export async function measureInflux(stations: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'yz-ranking-influx-'));
  const h = await startInfluxd({ dir });
  try {
    const ql = new InfluxQLClient(createTransport({ url: h.url, api: 'v1', db: 'yizhan', rp: 'raw' }), { db: 'yizhan' });
    await ql.query('CREATE DATABASE "yizhan"');
    await ql.query('CREATE RETENTION POLICY "rollup_2y" ON "yizhan" DURATION 0s REPLICATION 1');
    const t0 = performance.now();
    for (let d = 0; d < DAYS; d++) {
      const lines: string[] = [];
      for (let i = 0; i < stations; i++)
        lines.push(
          `station_use_1d,station=st-${i},township=town-${i % 100} samples=100,full_n=${(i + d) % 7},near_full_n=${(i + d) % 11},all_busy_n=0,` +
            `occupancy_sum=${3.5 * ((i * d) % 13)},sessions=${d % 5},turned_away=${(i + d) % 3},energy_wh=12.5,heater_on_share=0.25 ${(D0 + d * DAY) * 1e6}`,
        );
      for (let k = 0; k < lines.length; k += 5000) {
        const r = await fetch(`${h.url}/write?db=yizhan&rp=rollup_2y`, { method: 'POST', body: lines.slice(k, k + 5000).join('\n') });
        if (!r.ok) throw new Error(`influxd write: ${r.status} ${await r.text()}`);
      }
    }
    const writeMs = Math.round(performance.now() - t0);
    const where = `WHERE time >= ${D0 + 7 * DAY}ms AND time < ${D0 + 14 * DAY}ms`;
    const rowsQ = `SELECT ${FIELDS.map((f) => `"${f}"`).join(', ')}, "station", "township" FROM "rollup_2y"."station_use_1d" ${where}`;
    const sumQ = `SELECT ${FIELDS.map((f) => `sum("${f}") AS "${f}"`).join(', ')} FROM "rollup_2y"."station_use_1d" ${where} GROUP BY "station"`;
    const got = (await ql.rows(rowsQ, { epoch: 'ms' })).length;
    if (got !== stations * 7) throw new Error(`expected ${stations * 7} rows, got ${got}`);
    const out = {
      stations,
      writeMs,
      chunkRows: got,
      chunk7dRowsMs: await median(() => ql.rows(rowsQ, { epoch: 'ms' })),
      chunk7dGroupByStationMs: await median(() => ql.rows(sumQ, { epoch: 'ms' })),
      firstRowMs: await median(() => ql.query(firstRowQuery('rollup_2y', 0), { epoch: 'ms' })),
    };
    console.log('influx', out);
    return out;
  } finally {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
