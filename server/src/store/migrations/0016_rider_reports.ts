/**
 * Riders' reports (reports/, routes/rider-reports/): what a rider reported without an account, its
 * photos (metadata stripped unless the rider kept the location), and its history as the rider and
 * the staff see it. Rows are never deleted; only the contact columns are emptied once the report
 * has been closed longer than the retention (reports/retention.ts), `contact_deleted_at` saying when.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { idColumn } from './columns.js';
import type { Engine } from './index.js';

export function migration0016(engine: Engine): Migration {
  const id = idColumn(engine);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('rider_reports')
        .addColumn('id', id.type, id.key)
        // 8 Crockford base32 characters, without the dash.
        .addColumn('receipt', 'text', (c) => c.notNull().unique())
        .addColumn('category', 'text', (c) => c.notNull())
        // station | street
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('station_id', 'text')
        // The station's township, or the one whose stations are nearest to the location.
        .addColumn('township', 'text', (c) => c.notNull())
        .addColumn('lat', 'double precision')
        .addColumn('lon', 'double precision')
        .addColumn('accuracy_m', 'double precision')
        .addColumn('contact_name', 'text')
        .addColumn('contact_phone', 'text')
        .addColumn('contact_deleted_at', 'bigint')
        .addColumn('credit_name', 'text')
        .addColumn('photos_declared', 'integer', (c) => c.notNull().defaultTo(0))
        // SHA-256 of the upload token: the token itself is only ever in the rider's answer.
        .addColumn('upload_token_hash', 'text')
        .addColumn('upload_until', 'bigint', (c) => c.notNull())
        // received | accepted | in_progress | resolved | duplicate | not_valid | outside_remit
        .addColumn('status', 'text', (c) => c.notNull())
        // valid | duplicate | not_valid | outside_remit: the first triage decision
        .addColumn('decision', 'text')
        .addColumn('reason', 'text')
        .addColumn('duplicate_of', 'text')
        .addColumn('triaged_at', 'bigint')
        .addColumn('triaged_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('work_order_id', 'bigint', (c) => c.references('work_orders.id'))
        .addColumn('assignee_id', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('department', 'text')
        .addColumn('closed_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('rider_reports_township_status')
        .on('rider_reports')
        .columns(['township', 'status', 'id'])
        .execute();
      await db.schema
        .createIndex('rider_reports_created')
        .on('rider_reports')
        .columns(['created_at'])
        .execute();
      await db.schema
        .createIndex('rider_reports_work_order')
        .on('rider_reports')
        .columns(['work_order_id'])
        .execute();
      // The retention job: closed reports that still hold contact data.
      await db.schema
        .createIndex('rider_reports_closed')
        .on('rider_reports')
        .columns(['closed_at', 'contact_deleted_at'])
        .execute();
      await photosAndHistory(db, engine);
    },
  };
}

/** The photos (one row per number) and the history of each report. */
async function photosAndHistory(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const id = idColumn(engine);
  await db.schema
    .createTable('rider_report_photos')
    .addColumn('id', id.type, id.key)
    .addColumn('report_id', 'bigint', (c) => c.notNull().references('rider_reports.id'))
    // 1..3 within the report.
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .addColumn('kept_location', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('data', engine === 'sqlite' ? 'blob' : 'bytea', (c) => c.notNull())
    .execute();
  // One row per number: two uploads racing for the third photo cannot both win.
  await db.schema
    .createIndex('rider_report_photos_n')
    .unique()
    .on('rider_report_photos')
    .columns(['report_id', 'n'])
    .execute();
  await db.schema
    .createTable('rider_report_events')
    .addColumn('id', id.type, id.key)
    .addColumn('report_id', 'bigint', (c) => c.notNull().references('rider_reports.id'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    // null: the rider or the system (a work order that changed state)
    .addColumn('user_id', 'bigint', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('kind', 'text', (c) => c.notNull())
    // The report's public status after this step.
    .addColumn('status', 'text', (c) => c.notNull())
    // Shown to the rider (a reason, a resolution); never a staff name.
    .addColumn('note', 'text')
    .execute();
  await db.schema
    .createIndex('rider_report_events_report')
    .on('rider_report_events')
    .columns(['report_id', 'id'])
    .execute();
}
