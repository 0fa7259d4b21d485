/**
 * The ranking store (migration 0013; docs/planning.md "Ranking store"): InfluxDB's `station_use_1d`
 * rows copied into the operations store, and the ranking's per-station sums answered from them.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, PlanningDailyTable } from '../store/schema.js';

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

export class DailyStore {
  constructor(readonly db: Kysely<Database>) {}

  async state(): Promise<SyncState | undefined> {
    const r = await this.db.selectFrom('planning_daily_sync').selectAll().where('id', '=', 1).executeTakeFirst();
    return r && { origin: Number(r.origin), syncedTo: Number(r.synced_to), updatedAt: Number(r.updated_at) };
  }

  /** Insert or replace the rows (a day the continuous queries recomputed replaces its copy) and move the progress, in one transaction. */
  async upsert(rows: readonly DailyRow[], state: SyncState): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        const values = rows.slice(i, i + CHUNK).map((r) => ({ ...r, synced_at: state.updatedAt }));
        await trx
          .insertInto('planning_daily')
          .values(values)
          .onConflict((oc) =>
            oc.columns(['station', 'day']).doUpdateSet((eb) => Object.fromEntries(COLUMNS.map((c) => [c, eb.ref(`excluded.${c}`)]))),
          )
          .execute();
      }
      await trx
        .insertInto('planning_daily_sync')
        .values({ id: 1, origin: state.origin, synced_to: state.syncedTo, updated_at: state.updatedAt })
        .onConflict((oc) => oc.column('id').doUpdateSet({ origin: state.origin, synced_to: state.syncedTo, updated_at: state.updatedAt }))
        .execute();
    });
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

  /** Per-station sums of the rows whose day starts in [from, to), in the townships (tag values) given. */
  async totals(townships: 'all' | readonly string[], from: number, to: number): Promise<Map<string, Totals>> {
    const out = new Map<string, Totals>();
    if (townships !== 'all' && townships.length === 0) return out;
    let q = this.db
      .selectFrom('planning_daily')
      .select((eb) => [
        'station',
        eb.fn.sum<number>('samples').as('samples'),
        eb.fn.sum<number>('full_n').as('full_n'),
        eb.fn.sum<number>('near_full_n').as('near_full_n'),
        eb.fn.sum<number>('all_busy_n').as('all_busy_n'),
        eb.fn.sum<number>('occupancy_sum').as('occupancy_sum'),
        eb.fn.sum<number>('sessions').as('sessions'),
        eb.fn.sum<number>('turned_away').as('turned_away'),
        eb.fn.sum<number | null>('energy_wh').as('energy_wh'),
        eb.fn.avg<number | null>('heater_on_share').as('heater_on_share'),
      ])
      .where('day', '>=', from)
      .where('day', '<', to);
    if (townships !== 'all') q = q.where('township', 'in', [...townships]);
    const rows = await q.groupBy('station').execute();
    for (const r of rows)
      out.set(r.station, {
        samples: Number(r.samples),
        fullN: Number(r.full_n),
        nearFullN: Number(r.near_full_n),
        allBusyN: Number(r.all_busy_n),
        occupancySum: Number(r.occupancy_sum),
        sessions: Number(r.sessions),
        turnedAway: Number(r.turned_away),
        energyWh: num(r.energy_wh),
        heaterOnShare: num(r.heater_on_share),
      });
    return out;
  }

  /** Rows in the table (metrics, tests). */
  async count(): Promise<number> {
    const r = await this.db.selectFrom('planning_daily').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
