/**
 * `npm run bench:planning`: the planners' answers at county scale, timed (bench/planning-stack.ts:
 * influxd and the server as processes in a temp folder).
 *
 * 1. Fill (bench/planning-fill.ts): one year of the rollups the planning queries read for 10,000
 *    synthetic stations in the sample townships, with the known pattern of bench/planning-lib.ts,
 *    and raw `station_use` readings (every 10 s) of the first `--raw-stations` stations over the
 *    last `--raw-hours` hours of that year. Fill rates are printed and kept.
 * 2. InfluxQL straight (bench/planning-queries.ts): hour-of-week heatmap of the county, a township,
 *    a station over the year from the rollups; the ranking of every station over the year from
 *    `station_use_1d`; the same heatmap and ranking from raw readings over the raw span (measured),
 *    with a linear extrapolation of that to 10,000 stations × a year (an estimate, labelled so).
 * 3. The server's API as the county admin: GET /api/v1/planning/heatmap (county, township,
 *    station) and /api/v1/planning/stations over the year; a route that answers 404 is reported
 *    "not available" and the InfluxQL timing stands in for it (`via`).
 * 4. Coverage: bench/planning-coverage.ts's benchCoverage for `--candidates` candidate sites, when
 *    that file exists.
 *
 * Every timing is the median of `--repeat` runs after one warm-up run (the first run is kept too).
 *
 *   npm run bench:planning -- [--stations 10000] [--days 365] [--raw-stations 1000] [--raw-hours 24]
 *                             [--candidates 1000] [--repeat 3] [--rollup-shard 52w|influx] [--quick] [--out FILE]
 *
 * `--rollup-shard`: the rollup policy's shard group duration. The default 52w is what the server
 * makes (DEFAULT_ROLLUP_SHARD, server/src/influx/rollups.ts); `influx` keeps InfluxDB's own default
 * (7 days for a 730-day policy), what the server made before: on 7-day shards a year's ranking of
 * 10,000 stations opens a cursor per station, field and week, and took minutes and over 10 GB in
 * influxd (docs/benchmarks.md).
 *
 * Writes bench/results/planning.json: {"heatmap": {ms, rawMs, …}, "ranking": {ms, rawMs, …},
 * "coverage": {ms, candidates, …}, …}.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fillRaw, fillRollups } from './planning-fill.js';
import {
  DAY_MS,
  HOUR_MS,
  benchStationId,
  busiestCell,
  expectedCell,
  expectedRaw,
  extrapolateToYear,
  localMidnight,
  median,
  stationShape,
  type HeatCell,
  type Sanity,
} from './planning-lib.js';
import { PlanningQueries, timed } from './planning-queries.js';
import { PlanningStack } from './planning-stack.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    stations: { type: 'string', default: '10000' },
    days: { type: 'string', default: '365' },
    'raw-stations': { type: 'string', default: '1000' },
    'raw-hours': { type: 'string', default: '24' },
    candidates: { type: 'string', default: '1000' },
    'rollup-shard': { type: 'string', default: '52w' },
    repeat: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench/results/planning.json') },
  },
});
const QUICK = args.quick;
const STATIONS = QUICK ? 300 : Number(args.stations);
const DAYS = QUICK ? 35 : Number(args.days);
const RAW_STATIONS = Math.min(STATIONS, QUICK ? 50 : Number(args['raw-stations']));
const RAW_HOURS = QUICK ? 3 : Number(args['raw-hours']);
const CANDIDATES = QUICK ? 100 : Number(args.candidates);
const REPEAT = Math.max(1, Number(args.repeat));
/** Shard group duration of the rollup policy; `influx`: InfluxDB's default (7 days for 730 days, as the server makes it). */
const ROLLUP_SHARD = args['rollup-shard'] === 'influx' ? undefined : args['rollup-shard'];
const GOAL_MS = 2000;
/** A first run slower than this is not repeated (a year's ranking on 7-day shards takes minutes). */
const NO_REPEAT_MS = 10 * GOAL_MS;
const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

interface Timing {
  ms: number;
  firstMs: number;
  /** Runs the median is of (0: the first run only). */
  repeated: number;
}

/** One warm-up (kept as firstMs), then the median of REPEAT runs; a first run over NO_REPEAT_MS is the answer. */
async function measure<T>(what: string, f: () => Promise<T>): Promise<Timing & { answer: T }> {
  const first = await timed(f);
  if (first.ms > NO_REPEAT_MS) {
    log(`${what}: ${first.ms} ms, not repeated`);
    return { ms: first.ms, firstMs: first.ms, answer: first.answer, repeated: 0 };
  }
  const runs: number[] = [];
  let answer = first.answer;
  for (let k = 0; k < REPEAT; k++) {
    const r = await timed(f);
    runs.push(r.ms);
    answer = r.answer;
  }
  log(`${what}: ${median(runs)} ms (first ${first.ms} ms)`);
  return { ms: median(runs), firstMs: first.ms, answer, repeated: REPEAT };
}

interface ApiTiming extends Timing {
  status: number;
  bytes: number;
  /** The route answered 200 (404: not on this branch; another status: the error it gave). */
  available: boolean;
  error?: string;
  body?: string;
}

async function api(stack: PlanningStack, path: string): Promise<ApiTiming> {
  const probe = await stack.get(path);
  const head = { firstMs: probe.ms, status: probe.status, bytes: probe.bytes, repeated: 0 };
  if (probe.status === 404) return { ...head, ms: 0, available: false };
  if (probe.status !== 200) {
    log(`GET ${path} answered ${probe.status} after ${probe.ms} ms: ${probe.body.slice(0, 200)}`);
    return { ...head, ms: probe.ms, available: false, error: probe.body.slice(0, 500) };
  }
  const runs: number[] = [];
  let last = probe;
  for (let k = 0; k < REPEAT && probe.ms <= NO_REPEAT_MS; k++) runs.push((last = await stack.get(path)).ms);
  const ms = runs.length ? median(runs) : probe.ms;
  log(`GET ${path}: ${ms} ms (first ${probe.ms} ms)`);
  return { ...head, ms, repeated: runs.length, available: true, body: last.body };
}

/** The coverage part, from bench/planning-coverage.ts when it is there. */
async function coverage(): Promise<Record<string, unknown>> {
  const file = join(import.meta.dirname, 'planning-coverage.ts');
  if (!existsSync(file))
    return { available: false, reason: 'bench/planning-coverage.ts is not on this branch' };
  const mod = (await import(pathToFileURL(file).href)) as {
    benchCoverage?: (o: {
      candidates: number;
      quick: boolean;
    }) => Promise<{ ms: number; candidates: number; cells: number; peerMs?: number }>;
  };
  if (typeof mod.benchCoverage !== 'function')
    return { available: false, reason: 'bench/planning-coverage.ts exports no benchCoverage' };
  const r = await mod.benchCoverage({ candidates: CANDIDATES, quick: QUICK });
  return { ...r, underGoal: r.ms < GOAL_MS };
}

async function main(): Promise<void> {
  const started = new Date().toISOString();
  // The year ends at yesterday's local midnight: no continuous query re-samples hours that recent.
  const to = localMidnight(Date.now()) - DAY_MS;
  const from = to - DAYS * DAY_MS;
  const rawFrom = to - RAW_HOURS * HOUR_MS;
  const byBusyness = Array.from({ length: STATIONS }, (_, i) => i).sort(
    (a, b) => stationShape(b, STATIONS).busyness - stationShape(a, STATIONS).busyness,
  );
  const detail = [...byBusyness.slice(0, 5), ...byBusyness.slice(-5)];
  const stack = new PlanningStack(STATIONS);
  try {
    log(`influxd; filling ${STATIONS} stations × ${DAYS} days of rollups`);
    await stack.startInflux(ROLLUP_SHARD);
    const fillOpts = {
      url: stack.influxUrl,
      db: stack.db,
      rawRp: stack.rawRp,
      rollupRp: stack.rollupRp,
      stations: STATIONS,
      townships: stack.townships.map((t) => t.name),
      from,
      to,
      detail,
      progress: log,
    };
    const rollupFill = await fillRollups(fillOpts);
    log(`rollups: ${rollupFill.lines} lines in ${rollupFill.ms} ms (${rollupFill.linesPerS} lines/s)`);
    const rawFill = await fillRaw(fillOpts, RAW_STATIONS, rawFrom, to);
    log(`raw: ${rawFill.lines} readings in ${rawFill.ms} ms (${rawFill.linesPerS} lines/s)`);

    const q = new PlanningQueries(stack.influxUrl, stack.db, stack.rawRp, stack.rollupRp);
    const township = stack.townships[0]!;
    const station = benchStationId(byBusyness[0]!);
    const hm = {
      county: await measure('heatmap county', () => q.heatmap(from, to)),
      township: await measure('heatmap township', () => q.heatmap(from, to, { township: township.name })),
      station: await measure('heatmap station', () => q.heatmap(from, to, { station })),
      raw: await measure('heatmap raw', () => q.heatmapRaw(rawFrom, to)),
    };
    const rk = {
      days28: await measure('ranking, 28 days', () => q.ranking(to - 28 * DAY_MS, to)),
      rollup: await measure('ranking', () => q.ranking(from, to)),
      raw: await measure('ranking raw', () => q.rankingRaw(rawFrom, to)),
    };
    log(
      `InfluxQL: heatmap county ${hm.county.ms} ms, raw ${hm.raw.ms} ms; ranking ${rk.rollup.ms} ms, raw ${rk.raw.ms} ms`,
    );

    const sanity: Sanity[] = [];
    const busy = busiestCell(hm.county.answer);
    const want = expectedCell(STATIONS, from, to, 0, 12);
    const got = hm.county.answer[12]!.value ?? NaN;
    sanity.push({
      check: 'county heatmap: busiest cell is a weekday 12:00, Monday 12:00 equals the pattern',
      ok: busy !== undefined && busy.dow < 5 && busy.hour === 12 && Math.abs(got - want) / want < 1e-3,
      detail: { busiest: busy, monday12: got, expected: want },
    });
    const raw = expectedRaw(STATIONS, RAW_STATIONS, rawFrom, to);
    const cellsMatch = hm.raw.answer.every((c, k) => {
      const e = raw.heatmap[k]!;
      return (
        c.samples === e.samples &&
        (c.value === null ? e.value === null : Math.abs(c.value - (e.value ?? NaN)) < 1e-6)
      );
    });
    sanity.push({
      check: 'raw heatmap: every cell equals the readings written',
      ok: cellsMatch,
      detail: { busiest: busiestCell(hm.raw.answer) },
    });
    sanity.push({
      check: 'ranking: every station, the busiest by construction first, the quietest last',
      ok:
        rk.rollup.answer.length === STATIONS &&
        rk.rollup.answer[0]?.station === station &&
        rk.rollup.answer.at(-1)?.station === benchStationId(byBusyness.at(-1)!),
      detail: { first: rk.rollup.answer[0], last: rk.rollup.answer.at(-1) },
    });
    sanity.push({
      check: 'raw ranking: the raw stations in the order their readings give',
      ok: rk.raw.answer.map((r) => r.station).join() === raw.ranking.map((r) => r.station).join(),
      detail: { first: rk.raw.answer[0], expectedFirst: raw.ranking[0] },
    });
    for (const s of sanity) log(`sanity ${s.ok ? 'ok' : 'FAILED'}: ${s.check}`);

    log(`server over ${STATIONS} station files`);
    await stack.startServer();
    log(`ranking store synced up to the range's end after ${await stack.rankingStoreCovers(to)} ms (first start: backfill from InfluxDB)`);
    const range = `from=${from}&to=${to}`;
    const apiHm = {
      county: await api(stack, `/api/v1/planning/heatmap?${range}`),
      township: await api(stack, `/api/v1/planning/heatmap?${range}&township=${township.code}`),
      station: await api(stack, `/api/v1/planning/heatmap?${range}&station=${station}`),
    };
    const apiRk = await api(stack, `/api/v1/planning/stations?${range}`);
    const apiOn = apiHm.county.available && apiHm.township.available && apiHm.station.available;
    log(
      `API: heatmap ${apiOn ? `${apiHm.county.ms} ms` : 'not available'}; ranking ${apiRk.available ? `${apiRk.ms} ms` : 'not available'}`,
    );
    if (apiHm.county.body) {
      const cells = (JSON.parse(apiHm.county.body) as { cells?: HeatCell[] }).cells ?? [];
      const b = busiestCell(cells);
      sanity.push({
        check: 'API county heatmap: 168 cells, the busiest a weekday 12:00',
        ok: cells.length === 168 && b !== undefined && b.dow < 5 && b.hour === 12,
        detail: { busiest: b, answer: cells.length ? undefined : apiHm.county.body.slice(0, 300) },
      });
    }
    if (apiRk.body) {
      const list = (JSON.parse(apiRk.body) as { stations?: { stationId: string }[] }).stations ?? [];
      sanity.push({
        check: 'API ranking: every station, the busiest first',
        ok: list.length === STATIONS && list[0]?.stationId === station,
        detail: {
          stations: list.length,
          first: list[0],
          answer: list.length ? undefined : apiRk.body.slice(0, 300),
        },
      });
    }
    const strip = ({ body: _b, ...t }: ApiTiming) => t;
    const scopes = ['county', 'township', 'station'] as const;
    const hmMs = apiOn
      ? Math.max(...scopes.map((s) => apiHm[s].ms))
      : Math.max(...scopes.map((s) => hm[s].ms));
    const rawSpan = { stations: RAW_STATIONS, hours: RAW_HOURS, from: rawFrom, to, readings: rawFill.lines };
    const estimate = (ms: number) => ({
      msEstimated: extrapolateToYear(ms, RAW_STATIONS, RAW_HOURS * HOUR_MS, STATIONS),
      how: `linear extrapolation (not measured): rawMs × ${STATIONS}/${RAW_STATIONS} stations × (365 d / ${RAW_HOURS} h)`,
    });
    const out = {
      heatmap: {
        ms: hmMs,
        rawMs: hm.raw.ms,
        via: apiOn ? 'api' : 'influxql',
        underGoal: hmMs < GOAL_MS,
        rawSpan,
        rawYearExtrapolation: estimate(hm.raw.ms),
        influxql: Object.fromEntries(scopes.map((s) => [s, { ms: hm[s].ms, firstMs: hm[s].firstMs }])),
        api: Object.fromEntries(scopes.map((s) => [s, strip(apiHm[s])])),
        rawInfluxql: { ms: hm.raw.ms, firstMs: hm.raw.firstMs },
      },
      ranking: {
        ms: apiRk.available ? apiRk.ms : rk.rollup.ms,
        rawMs: rk.raw.ms,
        via: apiRk.available ? 'api' : 'influxql',
        underGoal: (apiRk.available ? apiRk.ms : rk.rollup.ms) < GOAL_MS,
        stations: rk.rollup.answer.length,
        rawSpan,
        rawYearExtrapolation: estimate(rk.raw.ms),
        influxql: { ms: rk.rollup.ms, firstMs: rk.rollup.firstMs },
        influxqlLast28Days: { ms: rk.days28.ms, firstMs: rk.days28.firstMs },
        api: strip(apiRk),
        rawInfluxql: { ms: rk.raw.ms, firstMs: rk.raw.firstMs },
      },
      coverage: await coverage(),
      data: {
        stations: STATIONS,
        townships: stack.townships.length,
        days: DAYS,
        rollupShardDuration: ROLLUP_SHARD ?? 'InfluxDB default, as the server makes the policy (7d for 730d)',
        from,
        to,
        detailStations: detail.map(benchStationId),
        rollupFill,
        rawFill,
      },
      sanity,
      goalMs: GOAL_MS,
      run: { started, finished: new Date().toISOString(), quick: QUICK, repeat: REPEAT },
    };
    writeFileSync(args.out, `${JSON.stringify(out, null, 2)}\n`);
    console.table({
      heatmap: { ms: out.heatmap.ms, via: out.heatmap.via, rawMs: out.heatmap.rawMs },
      ranking: { ms: out.ranking.ms, via: out.ranking.via, rawMs: out.ranking.rawMs },
      coverage: { ms: out.coverage.ms, via: out.coverage.available === false ? 'not available' : 'bench' },
    });
    log(`wrote ${args.out}`);
    if (sanity.some((s) => !s.ok))
      throw new Error('a sanity check failed: the answers do not match the known pattern');
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
