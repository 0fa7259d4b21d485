/**
 * Accounts, roles, sessions, API tokens, townships and the audit log: the tables issue 12 needs
 * first. Written once for both engines: `id` columns are the engine's auto-increment integer and
 * timestamps are bigint Unix milliseconds.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { idColumn } from './columns.js';

export function migration0001(engine: 'sqlite' | 'postgres'): Migration {
  const id = idColumn(engine);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('townships')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('name_zh', 'text', (c) => c.notNull())
        .addColumn('name_en', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('users')
        .addColumn('id', id.type, id.key)
        .addColumn('login', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('disabled_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('role_grants')
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull())
        // 'county' or a township code; not a foreign key because 'county' is not a township.
        .addColumn('scope', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('role_grants_pk', ['user_id', 'role', 'scope'])
        .execute();
      await db.schema.createIndex('role_grants_scope').on('role_grants').column('scope').execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('address', 'text')
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
      await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', id.type, id.key)
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();
      await db.schema
        .createTable('audit_log')
        .addColumn('id', id.type, id.key)
        .addColumn('at', 'bigint', (c) => c.notNull())
        // Kept when the user is gone: the audit log outlives accounts.
        .addColumn('user_id', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('address', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('before_json', 'text')
        .addColumn('after_json', 'text')
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
      await db.schema.createIndex('audit_log_user_at').on('audit_log').columns(['user_id', 'at']).execute();
    },
  };
}
