/**
 * Alert lifecycle (alerts/repo-lifecycle.ts): who the alert is assigned to, when and by whom it was
 * closed, and why it was held back from notification: `suppressed_by` (the id of the alert or
 * outage incident that inhibits it), `flapping` (0/1: it changed state too often; a person reviews
 * it), `silenced_by` (the silence that held its notification). Lists of "my open alerts" read the
 * (assignee_id, status) index.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function migration0009(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      const alerts = () => db.schema.alterTable('alerts');
      await alerts()
        .addColumn('assignee_id', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .execute();
      await alerts().addColumn('closed_at', 'bigint').execute();
      await alerts()
        .addColumn('closed_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .execute();
      await alerts().addColumn('suppressed_by', 'text').execute();
      await alerts()
        .addColumn('flapping', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await alerts().addColumn('silenced_by', 'bigint').execute();
      await db.schema
        .createIndex('alerts_assignee_status')
        .on('alerts')
        .columns(['assignee_id', 'status'])
        .execute();
    },
  };
}
