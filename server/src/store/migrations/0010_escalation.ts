/**
 * Escalation and reminders (server/src/notify/escalation.ts): one row per firing, unacknowledged
 * alert that has a reminder or escalation ahead. `level` is the last step sent (0 none, 1 reminder,
 * 2 township managers, 3 county), `sent` how many messages at that level, `next_at` when the job
 * looks at it again. A job claims a due row by a conditional UPDATE of `next_at`, so two server
 * processes never send the same step; the row is deleted when the alert is acknowledged or resolves.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function migration0010(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('alert_escalations')
        .addColumn('alert_id', 'text', (c) => c.primaryKey().references('alerts.id').onDelete('cascade'))
        .addColumn('township', 'text', (c) => c.notNull())
        .addColumn('level', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('sent', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_at', 'bigint', (c) => c.notNull())
        .addColumn('last_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('alert_escalations_next')
        .on('alert_escalations')
        .column('next_at')
        .execute();
    },
  };
}
