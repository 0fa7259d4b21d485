/**
 * Keeps the ranking store (daily-store.ts) in step with InfluxDB's `station_use_1d`
 * (docs/planning.md "Ranking store"). Each run:
 *
 * 1. First run ever: the origin is the oldest time the rollups can still hold (their retention plus
 *    one 52-week shard group), and the progress starts there (empty chunks cost an empty query).
 * 2. Backfill: the days from the progress up to the recent window, {@link CHUNK_DAYS} local days per
 *    InfluxDB query, oldest first; the progress is saved with each chunk, so a restart continues.
 * 3. Recent: the last {@link RECENT_DAYS} local days and today are read again and upserted (the
 *    continuous queries recompute them), and the progress moves to the next local midnight.
 *
 * Rows are read as stored (`SELECT fields, tags … WHERE time`), no aggregation in InfluxDB. An
 * InfluxDB or store failure ends the run (logged, counted); the next run retries from the progress.
 */
import type { InfluxQLClient, InfluxQLRow } from '../influx/query.js';
import { quoteIdent, rowNumber as num } from '../influx/query.js';
import type { DailyRow, DailyStore, SyncState } from './daily-store.js';
import { M } from './measures.js';
import { localDayStart } from './zone.js';

export { localDayStart };

const DAY = 86_400_000;
export const CHUNK_DAYS = 7;
/** Days before today re-read every run. */
export const RECENT_DAYS = 2;
export const DEFAULT_DAILY_SYNC_INTERVAL_MS = 5 * 60_000;
const NOT_READY_RETRY_MS = 5_000;
/** InfluxDB keeps a shard group past the retention until all of it is due: the rollups' shards are 52 weeks (DEFAULT_ROLLUP_SHARD). */
export const SHARD_GROUP_MS = 364 * DAY;
const FIELDS = ['samples', 'full_n', 'near_full_n', 'all_busy_n', 'occupancy_sum', 'sessions', 'turned_away', 'energy_wh', 'heater_on_share'] as const;

export interface DailySyncDeps {
  store: DailyStore;
  ql: InfluxQLClient;
  /** Retention policy of the rollups and its duration, ms. */
  rp: string;
  retentionMs: number;
  timeZone: string;
  now?: () => number;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Called after each copied span and on failure (metrics). */
  onSynced?: (rows: number, state: SyncState) => void;
  onError?: () => void;
  /** Ready to sync (InfluxDB setup done); a run before that does nothing. */
  ready?: () => boolean;
}

/** The local midnight `n` days after the one starting at `dayStart` (DST-safe). */
function addDays(dayStart: number, n: number, timeZone: string): number {
  return localDayStart(dayStart + n * DAY + DAY / 2, timeZone);
}


/** An InfluxDB row as a store row; undefined without a station or time. */
export function toDailyRow(r: InfluxQLRow): DailyRow | undefined {
  const day = num(r.time);
  if (day === null || typeof r.station !== 'string' || r.station === '') return undefined;
  return {
    station: r.station,
    day,
    township: typeof r.township === 'string' ? r.township : '',
    samples: num(r.samples) ?? 0,
    full_n: num(r.full_n) ?? 0,
    near_full_n: num(r.near_full_n) ?? 0,
    all_busy_n: num(r.all_busy_n) ?? 0,
    occupancy_sum: num(r.occupancy_sum) ?? 0,
    sessions: num(r.sessions) ?? 0,
    turned_away: num(r.turned_away) ?? 0,
    energy_wh: num(r.energy_wh),
    heater_on_share: num(r.heater_on_share),
  };
}

export class DailySync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly d: DailySyncDeps) {}

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  /**
   * Runs now and then every `intervalMs`; while InfluxDB is not ready, retries every
   * {@link NOT_READY_RETRY_MS} instead. Runs never overlap.
   */
  start(intervalMs = DEFAULT_DAILY_SYNC_INTERVAL_MS): void {
    this.stopped = false;
    const tick = () => {
      void this.runNow().then((ran) => {
        if (this.stopped) return;
        this.timer = setTimeout(tick, ran ? intervalMs : Math.min(intervalMs, NOT_READY_RETRY_MS));
        this.timer.unref();
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One run after any run in progress; false when InfluxDB was not ready. Failures are logged and counted, never thrown. */
  runNow(): Promise<boolean> {
    const run = this.running.then(() => this.runLogged());
    this.running = run.then(() => undefined);
    return run;
  }

  private async runLogged(): Promise<boolean> {
    if (this.d.ready && !this.d.ready()) return false;
    try {
      await this.run();
    } catch (err) {
      this.d.onError?.();
      this.d.log.error({ err }, '排名数据同步失败，下次重试 / ranking store sync failed, retrying next run');
    }
    return true;
  }

  /** One run (backfill, then the recent days); use runNow() beside a started job. Returns the rows copied. Throws on an InfluxDB or store error. */
  async run(): Promise<number> {
    const tz = this.d.timeZone;
    const now = this.now();
    const today = localDayStart(now, tz);
    const recentFrom = addDays(today, -RECENT_DAYS, tz);
    let state = await this.d.store.state();
    if (!state) {
      const origin = localDayStart(now - this.d.retentionMs - SHARD_GROUP_MS, tz);
      state = { origin, syncedTo: origin, updatedAt: now };
      this.d.log.info({ origin: new Date(origin).toISOString() }, 'ranking store: first sync, backfilling from the rollups');
    }
    let copied = 0;
    while (state.syncedTo < recentFrom && !this.stopped) {
      const from = state.syncedTo;
      const to = Math.min(addDays(from, CHUNK_DAYS, tz), recentFrom);
      state = { ...state, syncedTo: to, updatedAt: this.now() };
      copied += await this.copy(from, to, state, false);
    }
    if (this.stopped) return copied;
    const to = addDays(today, 1, tz);
    const from = Math.min(state.syncedTo, recentFrom);
    copied += await this.copy(from, to, { ...state, syncedTo: Math.max(state.syncedTo, to), updatedAt: this.now() }, true);
    return copied;
  }

  /**
   * Copy the day rows in [from, to) and save `next` as the progress. An empty backfill chunk saves
   * nothing (`always` false): a restart reads it again, which costs an empty query, not a write.
   */
  private async copy(from: number, to: number, next: SyncState, always: boolean): Promise<number> {
    const started = Date.now();
    const rows = await this.d.ql.rows(
      `SELECT ${FIELDS.map((f) => quoteIdent(f)).join(', ')}, "station", "township" ` +
        `FROM ${quoteIdent(this.d.rp)}.${quoteIdent(M.stationUse1d)} WHERE time >= ${from}ms AND time < ${to}ms`,
      { epoch: 'ms' },
    );
    const out: DailyRow[] = [];
    for (const r of rows) {
      const row = toDailyRow(r);
      if (row) out.push(row);
    }
    if (!out.length && !always) return 0;
    await this.d.store.upsert(out, { from, to }, next);
    this.d.onSynced?.(out.length, next);
    this.d.log.info(
      { from: new Date(from).toISOString(), to: new Date(to).toISOString(), rows: out.length, ms: Date.now() - started },
      'ranking store: days copied',
    );
    return out.length;
  }
}
