/**
 * A bounded re-read of the ranking store (docs/planning.md "Ranking store", `planning resync`
 * with `--to`): after the sync's progress, rewound to the re-read's start, reaches `skip_from`, it
 * jumps to `skip_to`, because the days in between were copied before and were not asked for.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function migration0014(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('planning_daily_sync').addColumn('skip_from', 'bigint').execute();
      await db.schema.alterTable('planning_daily_sync').addColumn('skip_to', 'bigint').execute();
    },
  };
}
