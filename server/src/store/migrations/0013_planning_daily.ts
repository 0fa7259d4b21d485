/**
 * The ranking store (docs/planning.md "Ranking store"): a copy of InfluxDB's `station_use_1d` rows,
 * one per station and local day, kept by planning/daily-sync.ts so the county ranking is one SQL
 * `SUM … GROUP BY station` instead of one InfluxDB series scan per station and field; the same sums
 * per local month, so a year reads whole months from `planning_monthly`. The sync's
 * progress (how far every day is copied) is one row of `planning_daily_sync`.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function migration0013(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('planning_daily')
        .addColumn('station', 'text', (c) => c.notNull())
        // The local day's start, Unix ms: the time of its station_use_1d row.
        .addColumn('day', 'bigint', (c) => c.notNull())
        // The row's `township` tag (the township's Chinese name), as the ranking filters by it.
        .addColumn('township', 'text', (c) => c.notNull())
        .addColumn('samples', 'double precision', (c) => c.notNull())
        .addColumn('full_n', 'double precision', (c) => c.notNull())
        .addColumn('near_full_n', 'double precision', (c) => c.notNull())
        .addColumn('all_busy_n', 'double precision', (c) => c.notNull())
        .addColumn('occupancy_sum', 'double precision', (c) => c.notNull())
        .addColumn('sessions', 'double precision', (c) => c.notNull())
        .addColumn('turned_away', 'double precision', (c) => c.notNull())
        // null: no socket_power channel that day (not 0).
        .addColumn('energy_wh', 'double precision')
        // null: no heater readings that day; the ranking's heater duty is the mean of the days that have one.
        .addColumn('heater_on_share', 'double precision')
        .addColumn('synced_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('planning_daily_pk', ['station', 'day'])
        .execute();
      // The ranking's range scan: every station's days in [from, to), optionally by township.
      await db.schema.createIndex('planning_daily_day').on('planning_daily').columns(['day', 'station']).execute();
      // The same sums per station and local month (from planning_daily, recomputed for every month a
      // sync touches): a year's ranking reads 12 rows per station instead of 365.
      await db.schema
        .createTable('planning_monthly')
        .addColumn('station', 'text', (c) => c.notNull())
        // The local month's first midnight, Unix ms.
        .addColumn('month', 'bigint', (c) => c.notNull())
        .addColumn('township', 'text', (c) => c.notNull())
        .addColumn('samples', 'double precision', (c) => c.notNull())
        .addColumn('full_n', 'double precision', (c) => c.notNull())
        .addColumn('near_full_n', 'double precision', (c) => c.notNull())
        .addColumn('all_busy_n', 'double precision', (c) => c.notNull())
        .addColumn('occupancy_sum', 'double precision', (c) => c.notNull())
        .addColumn('sessions', 'double precision', (c) => c.notNull())
        .addColumn('turned_away', 'double precision', (c) => c.notNull())
        .addColumn('energy_wh', 'double precision')
        // Σ heater_on_share and the number of days that have one: the mean over days is their ratio.
        .addColumn('heater_sum', 'double precision', (c) => c.notNull())
        .addColumn('heater_days', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('planning_monthly_pk', ['station', 'month', 'township'])
        .execute();
      await db.schema.createIndex('planning_monthly_month').on('planning_monthly').columns(['month', 'station']).execute();
      await db.schema
        .createTable('planning_daily_sync')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        // Nothing in InfluxDB's rollups before this when the first sync ran (their retention).
        .addColumn('origin', 'bigint', (c) => c.notNull())
        // Every day row with time in [origin, synced_to) has been copied at least once.
        .addColumn('synced_to', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
