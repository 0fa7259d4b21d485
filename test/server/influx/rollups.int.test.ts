/**
 * Rollups on a real influxd 1.x: the setup creates the 2-year rollup policy and the hourly
 * continuous queries, idempotently (a second start changes nothing; stale yz_* queries go), and
 * each query's SELECT … INTO computes the planners' figures from raw readings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTransport } from '../../../server/src/influx/transport.js';
import { InfluxQLClient } from '../../../server/src/influx/query.js';
import { setupOnce } from '../../../server/src/influx/setup.js';
import {
  DEFAULT_ROLLUP_RETENTION_MS,
  backfillStatement,
  rollupQueries,
  type RollupOptions,
} from '../../../server/src/influx/rollups.js';
import { startTestInflux, type TestInflux } from '../helpers.js';

const log = pino({ level: 'silent' });
const HOUR = 3_600_000;
/** The start of an hour two hours ago. */
const H0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
const setup = {
  api: 'v1' as const,
  db: 'yizhan',
  rp: 'raw',
  retentionMs: 30 * 86_400_000,
  rollup: { rp: 'rollup_2y', retentionMs: DEFAULT_ROLLUP_RETENTION_MS },
};
const ro: RollupOptions = {
  db: 'yizhan',
  rawRp: 'raw',
  rp: 'rollup_2y',
  retentionMs: DEFAULT_ROLLUP_RETENTION_MS,
};

describe('rollups on influxd 1.x', () => {
  let influx: TestInflux;
  let ql: InfluxQLClient;
  beforeAll(async () => {
    influx = await startTestInflux();
    ql = new InfluxQLClient(createTransport({ url: influx.url, api: 'v1', db: 'yizhan', rp: 'raw' }), {
      db: 'yizhan',
    });
  });
  afterAll(async () => {
    await influx?.cleanup();
  });

  const cqNames = async () =>
    (await ql.query('SHOW CONTINUOUS QUERIES'))[0]?.series
      .filter((s) => s.name === 'yizhan')
      .flatMap((s) => s.values.map((v) => v[0]))
      .sort();

  it('creates rollup_2y (730 days, not default) and the five continuous queries; a second run keeps them; stale yz_ queries are dropped', async () => {
    await setupOnce(ql, setup, log);
    const rps = await ql.rows('SHOW RETENTION POLICIES ON "yizhan"');
    expect(rps.find((r) => r.name === 'rollup_2y')).toMatchObject({
      duration: '17520h0m0s',
      shardGroupDuration: '8736h0m0s',
      default: false,
    });
    expect(rps.find((r) => r.name === 'raw')).toMatchObject({ default: true });
    const want = rollupQueries(ro)
      .map((q) => q.name)
      .sort();
    expect(await cqNames()).toEqual(want);
    await ql.query(
      'CREATE CONTINUOUS QUERY "yz_old_v0" ON "yizhan" BEGIN SELECT mean("value") INTO "yizhan"."rollup_2y"."x" FROM "yizhan"."raw"."door" GROUP BY time(1h) END',
    );
    await setupOnce(ql, setup, log);
    expect(await cqNames()).toEqual(want);
    // A policy made by an older version (InfluxDB's default 7-day shards) gets 52-week shards.
    await ql.query('ALTER RETENTION POLICY "rollup_2y" ON "yizhan" SHARD DURATION 7d');
    await setupOnce(ql, setup, log);
    const after = await ql.rows('SHOW RETENTION POLICIES ON "yizhan"');
    expect(after.find((r) => r.name === 'rollup_2y')).toMatchObject({ shardGroupDuration: '8736h0m0s' });
  });

  it('the queries compute hourly occupancy, dispenser uptime and socket use from raw readings', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 360; i++) {
      const t = H0 + i * 10_000; // one hour of 10 s telemetry
      lines.push(`occupancy,sensor=occupancy,station=st-001,township=T value=${i < 180 ? 2 : 4} ${t}`);
      lines.push(`water_temp,sensor=water-temp,station=st-001,township=T value=${i < 90 ? 40 : 95} ${t}`);
      lines.push(`heater,sensor=heater,station=st-001,township=T value=${i < 90 ? 1 : 0} ${t}`);
      lines.push(`socket_state,sensor=socket-1,station=st-001,township=T value=${i % 4 === 0 ? 1 : 0} ${t}`);
    }
    const res = await fetch(`${influx.url}/write?db=yizhan&rp=raw&precision=ms`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    expect(res.status).toBe(204);
    for (const q of rollupQueries(ro)) await ql.query(backfillStatement(q, H0, H0 + HOUR));
    const occ = await ql.rows('SELECT * FROM "rollup_2y"."occupancy_1h"', { epoch: 'ms' });
    expect(occ).toEqual([{ time: H0, mean: 3, max: 4, samples: 360, station: 'st-001', township: 'T' }]);
    const disp = await ql.rows('SELECT * FROM "rollup_2y"."dispenser_1h"', { epoch: 'ms' });
    expect(disp).toEqual([
      {
        time: H0,
        water_temp_mean: (90 * 40 + 270 * 95) / 360,
        water_temp_min: 40,
        samples: 360,
        hot_samples: 270,
        heater_on_share: 0.25,
        station: 'st-001',
        township: 'T',
      },
    ]);
    const sock = await ql.rows('SELECT * FROM "rollup_2y"."socket_use_1h"', { epoch: 'ms' });
    expect(sock).toEqual([
      { time: H0, in_use_share: 0.25, used: 1, sensor: 'socket-1', station: 'st-001', township: 'T' },
    ]);
  });
});
