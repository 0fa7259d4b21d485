/**
 * The durable notification outbox (issue 13, server/src/notify/outbox.ts): one row per message to
 * send on one channel, unique by its dedupe key so the same event enqueued twice is one row, and
 * one row per delivery attempt. The worker picks by (state, next_attempt_at) and recovers claims
 * that expired by (state, claimed_until).
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { idColumn } from './columns.js';

export function migration0006(engine: 'sqlite' | 'postgres'): Migration {
  const id = idColumn(engine);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('outbox')
        .addColumn('id', id.type, id.key)
        .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
        .addColumn('channel', 'text', (c) => c.notNull())
        // Items with the same group key, due together on one channel, may be merged into one message.
        .addColumn('group_key', 'text')
        .addColumn('payload_json', 'text', (c) => c.notNull())
        // pending | sending | sent | failed | dead
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('claimed_by', 'text')
        .addColumn('claimed_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('sent_at', 'bigint')
        .addColumn('last_error', 'text')
        .execute();
      await db.schema
        .createIndex('outbox_state_next')
        .on('outbox')
        .columns(['state', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('outbox_state_claimed')
        .on('outbox')
        .columns(['state', 'claimed_until'])
        .execute();
      await db.schema
        .createTable('outbox_attempts')
        .addColumn('id', id.type, id.key)
        .addColumn('outbox_id', 'bigint', (c) => c.notNull().references('outbox.id').onDelete('cascade'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('ok', 'integer', (c) => c.notNull())
        .addColumn('code', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('outbox_attempts_outbox')
        .on('outbox_attempts')
        .columns(['outbox_id', 'at'])
        .execute();
    },
  };
}
