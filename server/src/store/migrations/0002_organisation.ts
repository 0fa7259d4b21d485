/**
 * What issue 12's organisation needs beyond 0001: login lockout on the account (shared by every
 * server process), the township an audit entry concerns (so township managers read their own),
 * when tokens and sessions were last used, and alerts with their history and comments.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { idColumn } from './columns.js';

export function migration0002(engine: 'sqlite' | 'postgres'): Migration {
  const id = idColumn(engine);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('users')
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('users').addColumn('locked_until', 'bigint').execute();
      await db.schema.alterTable('users').addColumn('password_changed_at', 'bigint').execute();
      await db.schema.alterTable('sessions').addColumn('last_seen_at', 'bigint').execute();
      await db.schema.alterTable('api_tokens').addColumn('last_used_at', 'bigint').execute();
      // null: county-wide (accounts, townships); else the township code the entry concerns.
      await db.schema.alterTable('audit_log').addColumn('township', 'text').execute();
      await db.schema
        .createIndex('audit_log_township_at')
        .on('audit_log')
        .columns(['township', 'at'])
        .execute();

      await db.schema
        .createTable('alerts')
        // The engine's id (fingerprint + start): the same firing is the same row after a restart.
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('station_id', 'text', (c) => c.notNull())
        // Township code at the time the alert fired.
        .addColumn('township', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addColumn('ends_at', 'bigint')
        .addColumn('message_json', 'text', (c) => c.notNull())
        .addColumn('resolved_message_json', 'text')
        .addColumn('evidence_json', 'text', (c) => c.notNull())
        .addColumn('acked_at', 'bigint')
        .addColumn('acked_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('alerts_status_starts')
        .on('alerts')
        .columns(['status', 'starts_at'])
        .execute();
      await db.schema
        .createIndex('alerts_township_status')
        .on('alerts')
        .columns(['township', 'status', 'starts_at'])
        .execute();
      await db.schema
        .createIndex('alerts_station')
        .on('alerts')
        .columns(['station_id', 'starts_at'])
        .execute();
      await db.schema
        .createTable('alert_events')
        .addColumn('id', id.type, id.key)
        .addColumn('alert_id', 'text', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        // null: the rule engine did it.
        .addColumn('user_id', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        // fired, resolved, acknowledged, unacknowledged, commented
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('text', 'text')
        .execute();
      await db.schema
        .createIndex('alert_events_alert')
        .on('alert_events')
        .columns(['alert_id', 'at'])
        .execute();
    },
  };
}
