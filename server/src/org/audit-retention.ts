/**
 * Audit log retention: the only deletion of audit entries. The server writes its retention into the
 * store at start (`audit_retention`, read by the append-only triggers of migration 0005) and
 * deletes older entries once a day; each run's count is logged and counted.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

const DAY_MS = 86_400_000;
export const DEFAULT_AUDIT_RETENTION_MS = 400 * DAY_MS;
export const MIN_AUDIT_RETENTION_MS = 30 * DAY_MS;
export const AUDIT_RETENTION_INTERVAL_MS = DAY_MS;
/**
 * Entries are deleted this much later than the retention allows, so a server clock a little ahead
 * of the database's (PostgreSQL on another host) never trips the trigger and fails the whole run.
 */
export const RETENTION_CLOCK_MARGIN_MS = 3_600_000;

/** Record the retention the triggers enforce (one row, id 1). */
export async function setAuditRetention(db: Kysely<Database>, retentionMs: number): Promise<void> {
  await db
    .insertInto('audit_retention')
    .values({ id: 1, retention_ms: retentionMs })
    .onConflict((oc) => oc.column('id').doUpdateSet({ retention_ms: retentionMs }))
    .execute();
}

/** Delete the entries older than the retention; returns how many. */
export async function applyAuditRetention(
  db: Kysely<Database>,
  retentionMs: number,
  now = Date.now(),
): Promise<number> {
  const r = await db
    .deleteFrom('audit_log')
    .where('at', '<', now - retentionMs - RETENTION_CLOCK_MARGIN_MS)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
