/**
 * Contact retention: a rider's name and phone are kept while the report is handled and for the
 * retention period after it is closed (resolved, duplicate, not valid, outside our remit), then
 * emptied; `contact_deleted_at` records when. The report itself, its history, photos and the
 * credit name the rider gave for the figures stay. Run hourly by the rider-reports plugin, like
 * the audit retention (org/audit-retention.ts).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export const DAY_MS = 86_400_000;

/** Empty the contact data of reports closed before `now - retentionMs`; returns how many. */
export async function applyContactRetention(
  db: Kysely<Database>,
  retentionMs: number,
  now = Date.now(),
): Promise<number> {
  const r = await db
    .updateTable('rider_reports')
    .set({ contact_name: null, contact_phone: null, contact_deleted_at: now })
    .where('closed_at', '<', now - retentionMs)
    .where('contact_deleted_at', 'is', null)
    .where((eb) => eb.or([eb('contact_name', 'is not', null), eb('contact_phone', 'is not', null)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
