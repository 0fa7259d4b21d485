/**
 * The ranking store (migration 0013; docs/planning.md "Ranking store"): InfluxDB's `station_use_1d`
 * rows copied into the operations store (`planning_daily`, and per local month `planning_monthly`),
 * and the ranking's per-station sums answered from them.
 */
import { sql, type AliasedRawBuilder, type Kysely, type RawBuilder } from 'kysely';
import type { Database, PlanningDailyTable } from '../store/schema.js';
import { DAILY_FIELDS, numberOrNull, type Totals } from './daily-fields.js';
import { localDayStart, localMonthStart } from './zone.js';

export type { Totals };

export type DailyRow = Omit<PlanningDailyTable, 'synced_at'>;

export interface SyncState {
  origin: number;
  syncedTo: number;
  updatedAt: number;
  /**
   * A bounded re-read ({@link DailyStore.rewind} with an end): once the progress reaches `from`,
   * it jumps to `to` ([from, to) was copied before the rewind and not asked to be read again).
   */
  skip?: { from: number; to: number };
}

/** Rows per INSERT: 14 columns × 500 stays under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters. */
const CHUNK = 500;
/** Rows per DELETE of the pruning: each statement holds the write lock briefly. */
export const PRUNE_BATCH = 5_000;
const COLUMNS = [...DAILY_FIELDS.map((f) => f.field), 'township', 'synced_at'] as const;

const sum = (column: string): RawBuilder<unknown> => sql`sum(${sql.ref(column)})`;
const count = (column: string): RawBuilder<unknown> => sql`count(${sql.ref(column)})`;

type Named = AliasedRawBuilder<unknown, string>;
/** `planning_monthly`'s columns of a month from its days, each expression named as its column. */
const MONTH_OF_DAYS = DAILY_FIELDS.flatMap((f): Named[] =>
  'monthly' in f
    ? [sql`coalesce(sum(${sql.ref(f.field)}), 0)`.as(f.monthly.sum), count(f.field).as(f.monthly.days)]
    : [sum(f.field).as(f.field)],
);
const MONTHLY_COLUMNS = DAILY_FIELDS.flatMap((f) => ('monthly' in f ? [f.monthly.sum, f.monthly.days] : [f.field]));
/** A range's sums from `planning_monthly` rows, named as {@link MONTH_OF_DAYS} names them. */
const SUM_OF_MONTHS = MONTHLY_COLUMNS.map((c): Named => sum(c).as(c));
/** A mean-of-days field's Σ and day count from `planning_daily`, named as the monthly columns. */
const SUM_OF_DAYS = DAILY_FIELDS.flatMap((f): Named[] =>
  'monthly' in f ? [sum(f.field).as(f.monthly.sum), count(f.field).as(f.monthly.days)] : [sum(f.field).as(f.field)],
);

type Acc = Totals & { means: Record<string, { sum: number; days: number }> };

/** Add one query's sums of a station (named as the monthly columns) to what the other queries found. */
function add(out: Map<string, Acc>, r: Record<string, unknown>): void {
  const station = String(r.station);
  let t = out.get(station);
  if (!t) {
    t = { means: {} } as Acc;
    for (const f of DAILY_FIELDS) (t as Record<string, unknown>)[f.key] = f.sums === 'sum' ? 0 : null;
    out.set(station, t);
  }
  const acc = t as unknown as Record<string, number | null>;
  for (const f of DAILY_FIELDS) {
    if ('monthly' in f) {
      const m = (t.means[f.key] ??= { sum: 0, days: 0 });
      m.sum += numberOrNull(r[f.monthly.sum]) ?? 0;
      m.days += numberOrNull(r[f.monthly.days]) ?? 0;
      continue;
    }
    const v = numberOrNull(r[f.field]);
    if (v !== null) acc[f.key] = (acc[f.key] ?? 0) + v;
  }
}

/** The accumulated sums as {@link Totals}: a mean-of-days field is Σ ÷ days over both tables. */
function finish(t: Acc): Totals {
  const { means, ...out } = t;
  for (const f of DAILY_FIELDS) {
    const m = means[f.key];
    if ('monthly' in f) (out as Record<string, number | null>)[f.key] = m && m.days > 0 ? m.sum / m.days : null;
  }
  return out;
}

export class DailyStore {
  constructor(
    readonly db: Kysely<Database>,
    /** The county's time zone: months start at its local midnight. */
    readonly timeZone: string,
    /** How long day rows are kept, ms (YIZHAN_RANKING_STORE_RETENTION); older ones are pruned and the ranking reads InfluxDB for them. */
    readonly keepMs = Infinity,
  ) {}

  async state(): Promise<SyncState | undefined> {
    const r = await this.db.selectFrom('planning_daily_sync').selectAll().where('id', '=', 1).executeTakeFirst();
    if (!r) return undefined;
    const s: SyncState = { origin: Number(r.origin), syncedTo: Number(r.synced_to), updatedAt: Number(r.updated_at) };
    if (r.skip_from !== null && r.skip_to !== null) s.skip = { from: Number(r.skip_from), to: Number(r.skip_to) };
    return s;
  }

  async saveState(state: SyncState): Promise<void> {
    const row = {
      origin: state.origin,
      synced_to: state.syncedTo,
      updated_at: state.updatedAt,
      skip_from: state.skip?.from ?? null,
      skip_to: state.skip?.to ?? null,
    };
    await this.db
      .insertInto('planning_daily_sync')
      .values({ id: 1, ...row })
      .onConflict((oc) => oc.column('id').doUpdateSet(row))
      .execute();
  }

  /**
   * Insert or replace the rows of the days in [from, to) (a day the continuous queries recomputed
   * replaces its copy), recompute the months they fall in, then move the progress. Each slice of
   * {@link CHUNK} rows commits on its own, so a 70,000-row chunk never holds SQLite's write lock for
   * long against the alert writes; a failure before the progress moved leaves rows that the next
   * run copies again (upserts are idempotent).
   */
  async upsert(rows: readonly DailyRow[], span: { from: number; to: number }, state: SyncState): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const values = rows.slice(i, i + CHUNK).map((r) => ({ ...r, synced_at: state.updatedAt }));
      await this.db
        .insertInto('planning_daily')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['station', 'day']).doUpdateSet((eb) => Object.fromEntries(COLUMNS.map((c) => [c, eb.ref(`excluded.${c}`)]))),
        )
        .execute();
    }
    await this.refreshMonths(span.from, span.to);
    await this.saveState(state);
  }

  /** Recompute `planning_monthly` for every local month that overlaps [from, to) from the daily rows. */
  async refreshMonths(from: number, to: number): Promise<void> {
    for (let m = localMonthStart(from, this.timeZone); m < to; m = localMonthStart(m, this.timeZone, 1)) {
      const end = localMonthStart(m, this.timeZone, 1);
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('planning_monthly').where('month', '=', m).execute();
        await trx
          .insertInto('planning_monthly')
          .columns([...MONTHLY_COLUMNS, 'station', 'township', 'month'])
          .expression(
            trx
              .selectFrom('planning_daily')
              .select([...MONTH_OF_DAYS, 'station', 'township', sql<number>`cast(${m} as bigint)`.as('month')])
              .where('day', '>=', m)
              .where('day', '<', end)
              .groupBy(['station', 'township']),
          )
          .execute();
      });
    }
  }

  /**
   * Copy again the days in [from, to) (to undefined: every day from `from` on) at the next sync run,
   * after the rollups of that range were rewritten (e.g. influx/rollups.ts backfillStatement). With
   * an end the sync re-reads up to it and then jumps back to where it was; a re-read already pending
   * is kept (both ranges are read). Returns the state saved; undefined before a first sync (which
   * reads everything anyway).
   */
  async rewind(from: number, to?: number): Promise<SyncState | undefined> {
    const s = await this.state();
    if (!s) return undefined;
    const progress = Math.min(s.syncedTo, from);
    // What was copied and is not to be read again: [end of the re-reads, s.skip?.to ?? s.syncedTo).
    const resume = s.skip ? s.skip.to : s.syncedTo;
    const reread = to === undefined ? Infinity : Math.max(to, s.skip ? s.skip.from : -Infinity);
    const next: SyncState = { origin: s.origin, syncedTo: progress, updatedAt: s.updatedAt };
    if (reread < resume && reread > progress) next.skip = { from: reread, to: resume };
    await this.saveState(next);
    return next;
  }

  /**
   * True when the store holds every day row starting in [from, to): `to` at or before the sync's
   * progress, and `from` not before what pruning may have removed (its retention as of `now`).
   * Before `origin` InfluxDB held no rows when the sync began, so nothing is missing there.
   */
  async covers(from: number, to: number, now = Date.now()): Promise<boolean> {
    if (from < this.pruneBefore(now)) return false;
    const s = await this.state();
    return s !== undefined && to <= s.syncedTo;
  }

  /** The local midnight before which day rows are pruned at `now` (-Infinity: kept for ever). */
  pruneBefore(now: number): number {
    return Number.isFinite(this.keepMs) ? localDayStart(now - this.keepMs, this.timeZone) : -Infinity;
  }

  /**
   * Delete the day rows older than the retention ({@link keepMs}) in batches of {@link PRUNE_BATCH}
   * (each its own statement), the months wholly before it, and recompute the month it cuts.
   * Returns the day rows deleted.
   */
  async prune(now: number, batch = PRUNE_BATCH): Promise<number> {
    if (!Number.isFinite(this.keepMs)) return 0;
    const before = this.pruneBefore(now);
    let deleted = 0;
    for (;;) {
      const r = await this.db
        .deleteFrom('planning_daily')
        .where((eb) =>
          eb(eb.refTuple('station', 'day'), 'in', eb.selectFrom('planning_daily').select(['station', 'day']).where('day', '<', before).limit(batch).$asTuple('station', 'day')),
        )
        .executeTakeFirst();
      const n = Number(r.numDeletedRows);
      deleted += n;
      if (n < batch) break;
    }
    if (deleted === 0) return 0;
    const cut = localMonthStart(before, this.timeZone);
    for (;;) {
      const oldest = await this.db.selectFrom('planning_monthly').select('month').where('month', '<', cut).orderBy('month').limit(1).executeTakeFirst();
      if (!oldest) break;
      await this.db.deleteFrom('planning_monthly').where('month', '=', oldest.month).execute();
    }
    if (cut < before) await this.refreshMonths(cut, before);
    return deleted;
  }

  /**
   * Per-station sums of the rows whose day starts in [from, to), in the townships (tag values)
   * given: the whole local months inside the range from `planning_monthly`, the days before and
   * after them from `planning_daily`.
   */
  async totals(townships: 'all' | readonly string[], from: number, to: number): Promise<Map<string, Totals>> {
    const out = new Map<string, Acc>();
    if (townships !== 'all' && townships.length === 0) return new Map();
    const tz = this.timeZone;
    const first = localMonthStart(from, tz);
    const m0 = first < from ? localMonthStart(from, tz, 1) : first;
    const m1 = localMonthStart(to, tz);
    const inTownships = townships === 'all' ? undefined : [...townships];
    if (m0 < m1) {
      let q = this.db
        .selectFrom('planning_monthly')
        .select(['station', ...SUM_OF_MONTHS])
        .where('month', '>=', m0)
        .where('month', '<', m1);
      if (inTownships) q = q.where('township', 'in', inTownships);
      for (const r of await q.groupBy('station').execute()) add(out, r);
    }
    const days = (m0 < m1 ? [[from, m0], [m1, to]] : [[from, to]]).filter(([a, b]) => (a as number) < (b as number)) as [number, number][];
    if (days.length) {
      let q = this.db
        .selectFrom('planning_daily')
        .select(['station', ...SUM_OF_DAYS])
        .where((eb) => eb.or(days.map(([a, b]) => eb.and([eb('day', '>=', a), eb('day', '<', b)]))));
      if (inTownships) q = q.where('township', 'in', inTownships);
      for (const r of await q.groupBy('station').execute()) add(out, r);
    }
    return new Map([...out].map(([k, t]) => [k, finish(t)]));
  }

  /** Rows in the table (metrics, tests). */
  async count(): Promise<number> {
    const r = await this.db.selectFrom('planning_daily').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
