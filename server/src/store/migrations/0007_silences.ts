/**
 * Silences and maintenance windows (alerts/silences.ts): while one matches an alert, the alert is
 * recorded but not sent. Rows are never deleted, so the history of who silenced what stays; a
 * silence ended early gets `ended_at` and `ended_by`.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { idColumn } from './columns.js';
import type { Engine } from './index.js';

export function migration0007(engine: Engine): Migration {
  const id = idColumn(engine);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('silences')
        .addColumn('id', id.type, id.key)
        // Matchers: each null means "any"; all that are given must match.
        .addColumn('station_id', 'text')
        .addColumn('township', 'text')
        .addColumn('rule', 'text')
        .addColumn('severity', 'text')
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addColumn('ends_at', 'bigint', (c) => c.notNull())
        // Recurring window, local time of the county: JSON {days:[0..6], from:"02:00", to:"03:00"}.
        .addColumn('window_json', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('ended_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .execute();
      await db.schema.createIndex('silences_ends_at').on('silences').columns(['ends_at']).execute();
    },
  };
}
