/**
 * The ranking store (migration 0013; docs/planning.md "Ranking store"): InfluxDB's `station_use_1d`
 * rows copied into the operations store (`planning_daily`, and per local month `planning_monthly`),
 * and the ranking's per-station sums answered from them.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, PlanningDailyTable } from '../store/schema.js';
import { localMonthStart } from './zone.js';

/** A station's sums over the daily rows whose local day starts in a range (what the ranking needs). */
export interface Totals {
  samples: number;
  fullN: number;
  nearFullN: number;
  allBusyN: number;
  occupancySum: number;
  sessions: number;
  turnedAway: number;
  energyWh: number | null;
  /** The mean of the days' heater_on_share (days without one left out). */
  heaterOnShare: number | null;
}

export type DailyRow = Omit<PlanningDailyTable, 'synced_at'>;

export interface SyncState {
  origin: number;
  syncedTo: number;
  updatedAt: number;
}

/** Rows per INSERT: 14 columns × 500 stays under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters. */
const CHUNK = 500;
/** The daily fields summed as they are. */
const SUMMED = ['samples', 'full_n', 'near_full_n', 'all_busy_n', 'occupancy_sum', 'sessions', 'turned_away'] as const;
const COLUMNS = [
  'samples',
  'full_n',
  'near_full_n',
  'all_busy_n',
  'occupancy_sum',
  'sessions',
  'turned_away',
  'energy_wh',
  'heater_on_share',
  'township',
  'synced_at',
] as const;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Sums of a group of rows as the queries return them (heater: Σ and count of the days that have one). */
interface SumRow {
  station: string;
  samples: number | string;
  full_n: number | string;
  near_full_n: number | string;
  all_busy_n: number | string;
  occupancy_sum: number | string;
  sessions: number | string;
  turned_away: number | string;
  energy_wh: number | string | null;
  heater_sum: number | string | null;
  heater_days: number | string;
}

/** Add one query's sums of a station to what the other queries found. */
function add(out: Map<string, Totals & { heaterSum: number; heaterDays: number }>, r: SumRow): void {
  const t = out.get(r.station) ?? { samples: 0, fullN: 0, nearFullN: 0, allBusyN: 0, occupancySum: 0, sessions: 0, turnedAway: 0, energyWh: null, heaterOnShare: null, heaterSum: 0, heaterDays: 0 };
  t.samples += Number(r.samples);
  t.fullN += Number(r.full_n);
  t.nearFullN += Number(r.near_full_n);
  t.allBusyN += Number(r.all_busy_n);
  t.occupancySum += Number(r.occupancy_sum);
  t.sessions += Number(r.sessions);
  t.turnedAway += Number(r.turned_away);
  const e = num(r.energy_wh);
  if (e !== null) t.energyWh = (t.energyWh ?? 0) + e;
  t.heaterSum += num(r.heater_sum) ?? 0;
  t.heaterDays += Number(r.heater_days);
  out.set(r.station, t);
}

export class DailyStore {
  constructor(
    readonly db: Kysely<Database>,
    /** The county's time zone: months start at its local midnight. */
    readonly timeZone: string,
  ) {}

  async state(): Promise<SyncState | undefined> {
    const r = await this.db.selectFrom('planning_daily_sync').selectAll().where('id', '=', 1).executeTakeFirst();
    return r && { origin: Number(r.origin), syncedTo: Number(r.synced_to), updatedAt: Number(r.updated_at) };
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
    await this.db
      .insertInto('planning_daily_sync')
      .values({ id: 1, origin: state.origin, synced_to: state.syncedTo, updated_at: state.updatedAt })
      .onConflict((oc) => oc.column('id').doUpdateSet({ origin: state.origin, synced_to: state.syncedTo, updated_at: state.updatedAt }))
      .execute();
  }

  /** Recompute `planning_monthly` for every local month that overlaps [from, to) from the daily rows. */
  async refreshMonths(from: number, to: number): Promise<void> {
    for (let m = localMonthStart(from, this.timeZone); m < to; m = localMonthStart(m, this.timeZone, 1)) {
      const end = localMonthStart(m, this.timeZone, 1);
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('planning_monthly').where('month', '=', m).execute();
        await trx
          .insertInto('planning_monthly')
          .columns([...SUMMED, 'energy_wh', 'heater_sum', 'heater_days', 'station', 'township', 'month'])
          .expression(
            trx
              .selectFrom('planning_daily')
              .select((eb) => [
                ...SUMMED.map((c) => eb.fn.sum<number>(c).as(c)),
                eb.fn.sum<number | null>('energy_wh').as('energy_wh'),
                sql<number>`coalesce(sum(heater_on_share), 0)`.as('heater_sum'),
                eb.fn.count<number>('heater_on_share').as('heater_days'),
                'station',
                'township',
                sql<number>`cast(${m} as bigint)`.as('month'),
              ])
              .where('day', '>=', m)
              .where('day', '<', end)
              .groupBy(['station', 'township']),
          )
          .execute();
      });
    }
  }

  /**
   * Copy again every day from `from` on at the next sync run (after the rollups of an older range
   * were recomputed, e.g. with influx/rollups.ts backfillStatement). Nothing before a first sync.
   */
  async rewind(from: number): Promise<void> {
    await this.db.updateTable('planning_daily_sync').set({ synced_to: from }).where('id', '=', 1).where('synced_to', '>', from).execute();
  }

  /**
   * True when every day row starting in [from, to) has been copied: `to` at or before the sync's
   * progress. Before `origin` InfluxDB held no rows when the sync began, so nothing is missing there.
   */
  async covers(to: number): Promise<boolean> {
    const s = await this.state();
    return s !== undefined && to <= s.syncedTo;
  }

  /**
   * Per-station sums of the rows whose day starts in [from, to), in the townships (tag values)
   * given: the whole local months inside the range from `planning_monthly`, the days before and
   * after them from `planning_daily`.
   */
  async totals(townships: 'all' | readonly string[], from: number, to: number): Promise<Map<string, Totals>> {
    const out = new Map<string, Totals & { heaterSum: number; heaterDays: number }>();
    if (townships !== 'all' && townships.length === 0) return out;
    const tz = this.timeZone;
    const first = localMonthStart(from, tz);
    const m0 = first < from ? localMonthStart(from, tz, 1) : first;
    const m1 = localMonthStart(to, tz);
    const inTownships = townships === 'all' ? undefined : [...townships];
    if (m0 < m1) {
      let q = this.db
        .selectFrom('planning_monthly')
        .select((eb) => [
          'station',
          ...SUMMED.map((c) => eb.fn.sum<number>(c).as(c)),
          eb.fn.sum<number | null>('energy_wh').as('energy_wh'),
          eb.fn.sum<number>('heater_sum').as('heater_sum'),
          eb.fn.sum<number>('heater_days').as('heater_days'),
        ])
        .where('month', '>=', m0)
        .where('month', '<', m1);
      if (inTownships) q = q.where('township', 'in', inTownships);
      for (const r of await q.groupBy('station').execute()) add(out, r);
    }
    const days: [number, number][] = m0 < m1 ? [[from, m0], [m1, to]] : [[from, to]];
    let q = this.db
      .selectFrom('planning_daily')
      .select((eb) => [
        'station',
        ...SUMMED.map((c) => eb.fn.sum<number>(c).as(c)),
        eb.fn.sum<number | null>('energy_wh').as('energy_wh'),
        eb.fn.sum<number | null>('heater_on_share').as('heater_sum'),
        eb.fn.count<number>('heater_on_share').as('heater_days'),
      ])
      .where((eb) => eb.or(days.filter(([a, b]) => a < b).map(([a, b]) => eb.and([eb('day', '>=', a), eb('day', '<', b)]))));
    if (inTownships) q = q.where('township', 'in', inTownships);
    if (days.some(([a, b]) => a < b)) for (const r of await q.groupBy('station').execute()) add(out, r);
    for (const t of out.values()) t.heaterOnShare = t.heaterDays > 0 ? t.heaterSum / t.heaterDays : null;
    return new Map([...out].map(([k, { heaterSum: _s, heaterDays: _d, ...t }]) => [k, t]));
  }

  /** Rows in the table (metrics, tests). */
  async count(): Promise<number> {
    const r = await this.db.selectFrom('planning_daily').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
