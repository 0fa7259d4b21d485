/**
 * Indexes for the alerts lists (alerts/repo.ts), newest first by (starts_at, id): for everything,
 * per state, per rule, per township, and per township with state or rule, so a page of 50 is read
 * in index order whatever the filter, without sorting or scanning every alert in scope (SQLite,
 * 60,000 alerts: 230 ms for a page of all states before, a few ms after). They replace 0002's two
 * indexes that lacked the id.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

const LISTS: [name: string, columns: string[]][] = [
  ['alerts_starts_id', ['starts_at', 'id']],
  ['alerts_status_starts_id', ['status', 'starts_at', 'id']],
  ['alerts_township_starts_id', ['township', 'starts_at', 'id']],
  ['alerts_township_status_starts_id', ['township', 'status', 'starts_at', 'id']],
  ['alerts_rule_starts_id', ['rule', 'starts_at', 'id']],
  ['alerts_township_rule_starts_id', ['township', 'rule', 'starts_at', 'id']],
];

export function migration0004(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const [name, columns] of LISTS)
        await db.schema.createIndex(name).on('alerts').columns(columns).execute();
      await db.schema.dropIndex('alerts_status_starts').execute();
      await db.schema.dropIndex('alerts_township_status').execute();
    },
  };
}
