/**
 * The ranking store's sync (planning/daily-sync.ts) against both engines of the operations store and an
 * InfluxDB stand-in that answers station_use_1d rows for the asked time range: backfill in 7-day
 * chunks oldest first, progress kept across a restart, recent days re-read and replaced, an
 * InfluxDB failure retried from where it stopped.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxQLClient, InfluxQLRow } from '../../../server/src/influx/query.js';
import { InfluxError } from '../../../server/src/influx/query.js';
import { openStore, type Store } from '../../../server/src/store/open.js';
import { DailyStore } from '../../../server/src/planning/daily-store.js';
import { DailySync, SHARD_GROUP_MS, localDayStart } from '../../../server/src/planning/daily-sync.js';
import { testEngines } from '../store/engines.js';

const DAY = 86_400_000;
const TZ = 'Asia/Shanghai';
/** 2026-03-10 15:00 in Shanghai. */
const NOW = Date.parse('2026-03-10T07:00:00Z');
const TODAY = localDayStart(NOW, TZ);
/** The oldest day row the stand-in holds. */
const FIRST_DAY = TODAY - 35 * DAY;

/** A day's row of a station; `vary` gives every field a value that changes with the day and station. */
function dayRow(d: number, station: string, township: string, samples: number, vary: boolean): InfluxQLRow {
  const k = vary ? Math.round((d - TODAY) / DAY) + 40 + (station === 'st-2' ? 7 : 0) : 0;
  return vary
    ? { time: d, station, township, samples: 10 + k, full_n: k % 3, near_full_n: k % 5, all_busy_n: k % 2, occupancy_sum: 1.5 * k, sessions: k % 4, turned_away: k % 6, energy_wh: k % 3 ? 2.25 * k : null, heater_on_share: k % 4 ? k / 100 : null }
    : { time: d, station, township, samples, full_n: 1, near_full_n: 2, all_busy_n: 0, occupancy_sum: 30, sessions: 1, turned_away: 0, energy_wh: null, heater_on_share: 0.5 };
}

/** An InfluxDB with one row a day for st-1 (城关镇) and st-2 (新塘镇) over the 36 days before tomorrow. */
function fakeInflux(samplesOf: (day: number) => number = () => 10, vary = false) {
  const asked: { from: number; to: number }[] = [];
  /** The lower bounds of the queries for the oldest row. */
  const firsts: number[] = [];
  /** What first() fails with, when set. */
  let refuseFirst: InfluxError | undefined;
  /** The first query for a span starting at or after this fails, once. */
  let failFrom: number | undefined;
  const ql = {
    rows: (q: string): Promise<InfluxQLRow[]> => {
      const oldest = /^SELECT "samples", .*"heater_on_share" FROM "rollup_2y"\."station_use_1d" WHERE time >= (\d+)ms LIMIT 1$/.exec(q);
      if (oldest) {
        firsts.push(Number(oldest[1]));
        if (refuseFirst) return Promise.reject(refuseFirst);
        // LIMIT 1 over every daily field: the oldest row, whichever fields it holds.
        const t = Math.max(FIRST_DAY, Number(oldest[1]));
        return Promise.resolve(t <= TODAY ? [{ time: t, samples: null, sessions: 1 }] : []);
      }
      const m = /time >= (\d+)ms AND time < (\d+)ms/.exec(q);
      if (!m) throw new Error(`unexpected query ${q}`);
      const from = Number(m[1]);
      const to = Number(m[2]);
      asked.push({ from, to });
      if (failFrom !== undefined && from >= failFrom) {
        failFrom = undefined;
        return Promise.reject(new InfluxError('influxd unreachable', true));
      }
      const rows: InfluxQLRow[] = [];
      for (let d = FIRST_DAY; d <= TODAY; d += DAY)
        if (d >= from && d < to)
          for (const [station, township] of [
            ['st-1', '城关镇'],
            ['st-2', '新塘镇'],
          ] as const)
            rows.push(dayRow(d, station, township, samplesOf(d), vary));
      return Promise.resolve(rows);
    },
  } as unknown as InfluxQLClient;
  return { ql, asked, firsts, failFrom: (t: number) => (failFrom = t), refuseFirst: (e: InfluxError) => (refuseFirst = e) };
}

describe.each(testEngines())('ranking store sync on $name', (engine) => {
  beforeAll(() => engine.setup(), 120_000);
  afterAll(() => engine.teardown(), 60_000);
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const open = async (): Promise<{ store: Store }> => {
    const store = await openStore(await engine.fresh());
    cleanups.push(() => store.close());
    return { store };
  };
  const errors: string[] = [];
  const pruned: number[] = [];
  const job = (store: Store, ql: InfluxQLClient, now = NOW, keepMs?: number) =>
    new DailySync({
      store: new DailyStore(store.db, TZ, keepMs),
      onPruned: (n) => pruned.push(n),
      ql,
      rp: 'rollup_2y',
      retentionMs: 30 * DAY,
      timeZone: TZ,
      now: () => now,
      log: { info: () => {}, warn: () => {}, error: (o) => errors.push(String((o as { err: Error }).err.message)) },
    });

  it('backfills oldest first in 7-day chunks from the oldest daily row (one first() query), then the recent days; the store covers up to tomorrow', async () => {
    const { store } = await open();
    const influx = fakeInflux();
    expect(await job(store, influx.ql).run()).toBe(2 * 36);
    // One query for the oldest row, bounded by the oldest time the rollups can hold; the 33 days
    // before the recent window are 5 chunks.
    expect(influx.firsts).toEqual([localDayStart(NOW - 30 * DAY - SHARD_GROUP_MS, TZ)]);
    expect(influx.asked).toHaveLength(6);
    const origin = FIRST_DAY;
    const chunks = influx.asked.slice(0, -1);
    expect(chunks[0]?.from).toBe(origin);
    chunks.forEach((c, i) => {
      expect(c.to - c.from).toBeLessThanOrEqual(7 * DAY);
      if (i) expect(c.from).toBe(chunks[i - 1]?.to);
    });
    expect(influx.asked.at(-1)).toEqual({ from: TODAY - 2 * DAY, to: TODAY + DAY });
    const daily = new DailyStore(store.db, TZ);
    expect(await daily.state()).toMatchObject({ origin, syncedTo: TODAY + DAY });
    expect(await daily.covers(0, NOW)).toBe(true);
    expect(await daily.covers(0, TODAY + 2 * DAY)).toBe(false);
    const all = await daily.totals('all', TODAY - 39 * DAY, TODAY + DAY);
    expect(all.get('st-1')).toEqual({ samples: 360, fullN: 36, nearFullN: 72, allBusyN: 0, occupancySum: 1080, sessions: 36, turnedAway: 0, energyWh: null, heaterOnShare: 0.5 });
    expect([...(await daily.totals(['新塘镇'], TODAY - 6 * DAY, TODAY + DAY)).entries()]).toEqual([
      ['st-2', expect.objectContaining({ samples: 70 })],
    ]);
    expect((await daily.totals([], 0, NOW)).size).toBe(0);
  });

  it('walks from the retention bound when InfluxDB refuses first(), and retries the run when it is only unreachable', async () => {
    const { store } = await open();
    const down = fakeInflux();
    down.refuseFirst(new InfluxError('influxd unreachable', true));
    errors.length = 0;
    expect(await job(store, down.ql).runNow()).toBe(true);
    expect(errors).toEqual(['influxd unreachable']);
    expect(down.asked).toEqual([]);
    expect(await new DailyStore(store.db, TZ).state()).toBeUndefined();
    const refusing = fakeInflux();
    refusing.refuseFirst(new InfluxError('query would scan too many files', false));
    expect(await job(store, refusing.ql).run()).toBe(2 * 36);
    const bound = localDayStart(NOW - 30 * DAY - SHARD_GROUP_MS, TZ);
    expect(refusing.asked[0]?.from).toBe(bound);
    expect(await new DailyStore(store.db, TZ).state()).toMatchObject({ origin: bound, syncedTo: TODAY + DAY });
  });

  it('re-reads only the last two days and today on the next run, replacing what the rollups recomputed', async () => {
    const { store } = await open();
    await job(store, fakeInflux().ql).run();
    const later = fakeInflux((d) => (d >= TODAY - DAY ? 99 : 10));
    expect(await job(store, later.ql, NOW + 3_600_000).run()).toBe(2 * 3);
    expect(later.asked).toEqual([{ from: TODAY - 2 * DAY, to: TODAY + DAY }]);
    const t = await new DailyStore(store.db, TZ).totals(['城关镇'], TODAY - 2 * DAY, TODAY + DAY);
    expect(t.get('st-1')?.samples).toBe(10 + 99 + 99);
  });

  it('keeps the progress of an InfluxDB failure mid-backfill and continues from there after a restart', async () => {
    const { store } = await open();
    const influx = fakeInflux();
    influx.failFrom(TODAY - 25 * DAY);
    errors.length = 0;
    expect(await job(store, influx.ql).runNow()).toBe(true);
    expect(errors).toEqual(['influxd unreachable']);
    const daily = new DailyStore(store.db, TZ);
    const saved = await daily.state();
    // The last chunk before the failure had rows, so its progress was saved.
    expect(saved?.syncedTo).toBe(influx.asked.at(-1)?.from);
    expect(await daily.count()).toBeGreaterThan(0);
    expect(await daily.covers(0, NOW)).toBe(false);
    const n = influx.asked.length;
    await job(store, influx.ql).run();
    expect(influx.asked[n]?.from).toBe(saved?.syncedTo);
    expect(await daily.covers(0, NOW)).toBe(true);
    expect(await daily.count()).toBe(72);
    await daily.rewind(TODAY - 20 * DAY);
    expect(await daily.covers(0, NOW)).toBe(false);
    const again = fakeInflux();
    await job(store, again.ql).run();
    expect(again.asked[0]?.from).toBe(TODAY - 20 * DAY);
  });

  it('re-reads a bounded range after a rewind with an end, then jumps back to where it was', async () => {
    const { store } = await open();
    await job(store, fakeInflux().ql).run();
    const daily = new DailyStore(store.db, TZ);
    expect(await daily.rewind(TODAY - 30 * DAY, TODAY - 20 * DAY)).toMatchObject({
      syncedTo: TODAY - 30 * DAY,
      skip: { from: TODAY - 20 * DAY, to: TODAY + DAY },
    });
    // A second re-read while the first is pending: both ranges are read.
    await daily.rewind(TODAY - 25 * DAY, TODAY - 15 * DAY);
    expect(await daily.covers(0, NOW)).toBe(false);
    const again = fakeInflux(() => 20);
    await job(store, again.ql).run();
    expect(again.asked).toEqual([
      { from: TODAY - 30 * DAY, to: TODAY - 23 * DAY },
      { from: TODAY - 23 * DAY, to: TODAY - 16 * DAY },
      { from: TODAY - 16 * DAY, to: TODAY - 15 * DAY },
      { from: TODAY - 2 * DAY, to: TODAY + DAY },
    ]);
    const state = await daily.state();
    expect(state).toMatchObject({ syncedTo: TODAY + DAY });
    expect(state?.skip).toBeUndefined();
    // The re-read days carry the rewritten values, the skipped ones the old.
    const t = await daily.totals(['城关镇'], TODAY - 31 * DAY, TODAY - 14 * DAY);
    expect(t.get('st-1')?.samples).toBe(10 + 15 * 20 + 10);
    // Without an end everything from `from` on is read again.
    expect(await daily.rewind(TODAY - 5 * DAY)).toEqual(expect.objectContaining({ syncedTo: TODAY - 5 * DAY }));
    expect((await daily.state())?.skip).toBeUndefined();
  });

  it('prunes days older than its retention in bounded batches, keeps the months right, and leaves older ranges to InfluxDB', async () => {
    const { store } = await open();
    pruned.length = 0;
    const keep = 20 * DAY;
    await job(store, fakeInflux(undefined, true).ql).run();
    await job(store, fakeInflux(undefined, true).ql, NOW, keep).run();
    const daily = new DailyStore(store.db, TZ, keep);
    const cutoff = localDayStart(NOW - keep, TZ);
    // A first sync with that retention does not read what it would prune.
    const fresh = fakeInflux(undefined, true);
    await job((await open()).store, fresh.ql, NOW, keep).run();
    expect(fresh.firsts).toEqual([cutoff]);
    expect(fresh.asked[0]?.from).toBe(cutoff);
    const kept = 2 * ((TODAY - cutoff) / DAY + 1);
    expect(pruned).toEqual([72 - kept]);
    expect(await daily.count()).toBe(kept);
    const oldest = await store.db.selectFrom('planning_daily').select((eb) => eb.fn.min('day').as('d')).executeTakeFirstOrThrow();
    expect(Number(oldest.d)).toBe(cutoff);
    // The month the cutoff falls in holds only the kept days (its whole-month row equals the kept
    // days of an unpruned copy); no month before it is left.
    const full = await open();
    await job(full.store, fakeInflux(undefined, true).ql).run();
    const feb1 = Date.parse('2026-01-31T16:00:00Z');
    const mar1 = Date.parse('2026-02-28T16:00:00Z');
    expect(cutoff).toBeGreaterThan(feb1);
    expect(await daily.totals('all', feb1, mar1)).toEqual(await new DailyStore(full.store.db, TZ).totals('all', cutoff, mar1));
    const months = await store.db.selectFrom('planning_monthly').select('month').distinct().orderBy('month').execute();
    expect(months).toEqual([{ month: feb1 }, { month: mar1 }]);
    expect(await daily.covers(cutoff, NOW, NOW)).toBe(true);
    expect(await daily.covers(cutoff - DAY, NOW, NOW)).toBe(false);
    // Bounded batches: 5 rows a statement.
    const later = new DailyStore(store.db, TZ, keep - 3 * DAY);
    expect(await later.prune(NOW, 5)).toBe(6);
    expect(await daily.count()).toBe(kept - 6);
  });

  it('sums whole local months from planning_monthly and the days around them from planning_daily, as the days one by one', async () => {
    const { store } = await open();
    await job(store, fakeInflux(undefined, true).ql).run();
    const daily = new DailyStore(store.db, TZ);
    const byDay = (from: number, to: number, station: string) => {
      const rows: InfluxQLRow[] = [];
      for (let d = TODAY - 35 * DAY; d <= TODAY; d += DAY) if (d >= from && d < to) rows.push(dayRow(d, station, '', 0, true));
      const sum = (f: string) => rows.reduce((a, r) => a + ((r[f] as number | null) ?? 0), 0);
      const heater = rows.filter((r) => r.heater_on_share !== null);
      return {
        samples: sum('samples'),
        fullN: sum('full_n'),
        nearFullN: sum('near_full_n'),
        allBusyN: sum('all_busy_n'),
        occupancySum: sum('occupancy_sum'),
        sessions: sum('sessions'),
        turnedAway: sum('turned_away'),
        energyWh: rows.some((r) => r.energy_wh !== null) ? sum('energy_wh') : null,
        heaterOnShare: heater.length ? sum('heater_on_share') / heater.length : null,
      };
    };
    const feb1 = Date.parse('2026-01-31T16:00:00Z');
    const mar1 = Date.parse('2026-02-28T16:00:00Z');
    for (const [from, to] of [
      [TODAY - 35 * DAY, TODAY + DAY],
      [feb1, mar1],
      [feb1 + 3 * DAY, mar1 + 2 * DAY],
      [feb1 - 2 * DAY, mar1],
      [mar1 + DAY, TODAY],
    ] as const) {
      const got = await daily.totals('all', from, to);
      for (const station of ['st-1', 'st-2']) {
        const want = byDay(from, to, station);
        const t = got.get(station);
        expect(t, `${station} ${new Date(from).toISOString()}…${new Date(to).toISOString()}`).toBeDefined();
        for (const [k, v] of Object.entries(want)) {
          const g = t?.[k as keyof typeof want];
          if (v === null) expect(g, k).toBeNull();
          else expect(g, k).toBeCloseTo(v, 9);
        }
      }
    }
    expect(await store.db.selectFrom('planning_monthly').select('month').distinct().orderBy('month').execute()).toEqual([
      { month: feb1 },
      { month: mar1 },
    ]);
  });
});
