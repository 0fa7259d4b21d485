/**
 * The audit log is append-only: the database itself refuses every UPDATE of an entry, and a DELETE
 * of an entry younger than the retention the server set (`audit_retention`, one row, written at
 * start from YIZHAN_AUDIT_RETENTION). Without that row no entry may be deleted. The daily retention
 * run (org/audit-retention.ts) is the only deletion. PostgreSQL also refuses TRUNCATE, which skips
 * row triggers.
 *
 * An account with audit entries cannot be deleted either (its entries' user_id would be set to
 * null, which is an UPDATE): accounts are disabled, never deleted.
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

const UPDATE_REFUSED = 'audit_log is append-only: UPDATE refused';
const DELETE_REFUSED = 'audit_log: DELETE refused for an entry younger than the retention';

async function sqlite(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, ${sql.lit(UPDATE_REFUSED)}); END`.execute(db);
  // Unix ms from julianday: unixepoch('subsec') needs SQLite 3.42.
  await sql`CREATE TRIGGER audit_log_no_young_delete BEFORE DELETE ON audit_log
    WHEN OLD.at > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)
      - COALESCE((SELECT retention_ms FROM audit_retention WHERE id = 1), 9007199254740991)
    BEGIN SELECT RAISE(ABORT, ${sql.lit(DELETE_REFUSED)}); END`.execute(db);
}

async function postgres(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION ${sql.lit(UPDATE_REFUSED)}; END IF;
      IF TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION 'audit_log is append-only: TRUNCATE refused'; END IF;
      IF OLD.at > (extract(epoch from clock_timestamp()) * 1000)::bigint
          - COALESCE((SELECT retention_ms FROM audit_retention WHERE id = 1), 9007199254740991) THEN
        RAISE EXCEPTION ${sql.lit(DELETE_REFUSED)};
      END IF;
      RETURN OLD;
    END $$`.execute(db);
  await sql`CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard()`.execute(db);
  await sql`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard()`.execute(db);
}

export function migration0005(engine: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('audit_retention')
        // One row: id is always 1.
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('retention_ms', 'bigint', (c) => c.notNull())
        .execute();
      await (engine === 'sqlite' ? sqlite(db) : postgres(db));
    },
  };
}
