/**
 * Keeps the ranking store (daily-store.ts) in step with InfluxDB's `station_use_1d`
 * (docs/planning.md "Ranking store"). Each run:
 *
 * 1. First run ever: the origin is the local day of the oldest daily row (one query: every daily field, LIMIT 1),
 *    never before the oldest time the rollups can hold (their retention plus one 52-week shard
 *    group); no rows yet: the recent window.
 * 2. Backfill: the days from the progress up to the recent window, {@link CHUNK_DAYS} local days per
 *    InfluxDB query, oldest first; the progress is saved with each chunk, so a restart continues.
 *    A bounded re-read (`SyncState.skip`) jumps over the days it was not asked to read again.
 * 3. Recent: the last {@link RECENT_DAYS} local days and today are read again and upserted (the
 *    continuous queries recompute them), and the progress moves to the next local midnight.
 * 4. Pruning: day rows older than the store's retention are deleted (DailyStore.prune).
 *
 * Rows are read as stored (`SELECT fields, tags … WHERE time`), no aggregation in InfluxDB. An
 * InfluxDB or store failure ends the run (logged, counted); the next run retries from the progress.
 */
import type { InfluxQLClient, InfluxQLRow } from '../influx/query.js';
import { InfluxError, quoteIdent, rowNumber as num } from '../influx/query.js';
import type { DailyRow, DailyStore, SyncState } from './daily-store.js';
import { DAILY_FIELDS, fieldsOf } from './daily-fields.js';
import { M } from './measures.js';
import { DEFAULT_ROLLUP_RETENTION_MS } from '../influx/rollups.js';
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
/** How long the store keeps day rows by default: as long as InfluxDB may keep a daily rollup (its retention plus a shard group), about 3 years. */
export const DEFAULT_RANKING_STORE_RETENTION_MS = DEFAULT_ROLLUP_RETENTION_MS + SHARD_GROUP_MS;

export interface DailySyncDeps {
  store: DailyStore;
  ql: InfluxQLClient;
  /** Retention policy of the rollups and its duration, ms. */
  rp: string;
  retentionMs: number;
  timeZone: string;
  now?: () => number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Called after each copied span and on failure (metrics). */
  onSynced?: (rows: number, state: SyncState) => void;
  onError?: () => void;
  /** Called before each InfluxDB query (metrics). */
  onQuery?: () => void;
  /** Called with the day rows each run's pruning deleted, when any (metrics). */
  onPruned?: (rows: number) => void;
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
  return { station: r.station, day, township: typeof r.township === 'string' ? r.township : '', ...fieldsOf(r, num) } as DailyRow;
}

/**
 * The oldest daily row since `bound` (ms): every daily field, `LIMIT 1` (InfluxQL orders by time).
 * Not `first("samples")`: a day may hold only some fields (sessions of a closed station), and
 * several `first()`s in one SELECT lose the time (one statement each took 3.3 s over 10,000
 * stations, this 0.5–1.7 s).
 */
export function firstRowQuery(rp: string, bound: number): string {
  return `SELECT ${DAILY_FIELDS.map((f) => quoteIdent(f.field)).join(', ')} FROM ${quoteIdent(rp)}.${quoteIdent(M.stationUse1d)} WHERE time >= ${bound}ms LIMIT 1`;
}

/** A skip the progress has reached is taken: the progress jumps to its end. */
function settle(s: SyncState): SyncState {
  if (!s.skip || s.syncedTo < s.skip.from) return s;
  return { origin: s.origin, syncedTo: Math.max(s.syncedTo, s.skip.to), updatedAt: s.updatedAt };
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

  /** One run (backfill, then the recent days, then pruning); use runNow() beside a started job. Returns the rows copied. Throws on an InfluxDB or store error. */
  async run(): Promise<number> {
    const tz = this.d.timeZone;
    const now = this.now();
    const today = localDayStart(now, tz);
    const recentFrom = addDays(today, -RECENT_DAYS, tz);
    let state = await this.d.store.state();
    if (!state) {
      const origin = await this.firstDay(now, recentFrom);
      state = { origin, syncedTo: origin, updatedAt: now };
      this.d.log.info({ origin: new Date(origin).toISOString() }, 'ranking store: first sync, backfilling from the oldest daily rollup');
    }
    let copied = 0;
    state = settle(state);
    while (state.syncedTo < recentFrom && !this.stopped) {
      const from = state.syncedTo;
      const to = Math.min(addDays(from, CHUNK_DAYS, tz), recentFrom, state.skip?.from ?? Infinity);
      state = settle({ ...state, syncedTo: to, updatedAt: this.now() });
      copied += await this.copy(from, to, state, false);
    }
    if (this.stopped) return copied;
    const to = addDays(today, 1, tz);
    const from = Math.min(state.syncedTo, recentFrom);
    copied += await this.copy(from, to, settle({ ...state, syncedTo: Math.max(state.syncedTo, to), updatedAt: this.now() }), true);
    const pruned = await this.d.store.prune(now);
    if (pruned > 0) {
      this.d.onPruned?.(pruned);
      this.d.log.info({ rows: pruned, before: new Date(this.d.store.pruneBefore(now)).toISOString() }, 'ranking store: old days pruned');
    }
    return copied;
  }

  /**
   * The local day of the oldest `station_use_1d` row ({@link firstRowQuery}, bounded by the oldest
   * time the rollups can hold and by the store's own retention), or `fallback` when there is none. An InfluxDB that refuses the
   * query (not a transient failure) gets the bound itself: the backfill then walks from there, an
   * empty query per 7 days before the data.
   */
  private async firstDay(now: number, fallback: number): Promise<number> {
    // Nothing older than the store keeps: it would be pruned at the end of the run.
    const bound = Math.max(localDayStart(now - this.d.retentionMs - SHARD_GROUP_MS, this.d.timeZone), this.d.store.pruneBefore(now));
    this.d.onQuery?.();
    let rows: InfluxQLRow[];
    try {
      rows = await this.d.ql.rows(firstRowQuery(this.d.rp, bound), { epoch: 'ms' });
    } catch (err) {
      if (!(err instanceof InfluxError) || err.retriable) throw err;
      this.d.log.warn({ err }, 'ranking store: InfluxDB refused the query for the oldest daily row; backfilling from the rollups\' retention');
      return bound;
    }
    const t = rows[0] ? num(rows[0].time) : null;
    return t === null ? fallback : Math.min(fallback, Math.max(bound, localDayStart(t, this.d.timeZone)));
  }

  /**
   * Copy the day rows in [from, to) and save `next` as the progress. An empty backfill chunk saves
   * nothing (`always` false): a restart reads it again, which costs an empty query, not a write.
   */
  private async copy(from: number, to: number, next: SyncState, always: boolean): Promise<number> {
    const started = Date.now();
    this.d.onQuery?.();
    const rows = await this.d.ql.rows(
      `SELECT ${DAILY_FIELDS.map((f) => quoteIdent(f.field)).join(', ')}, "station", "township" ` +
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
