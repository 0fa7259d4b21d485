/**
 * Work orders (workorders/): a job for the crew made from an alert or by hand, its history and its
 * photos. Rows are never deleted. `verification_json` holds the sensor check of a work order
 * claimed fixed (workorders/verifier.ts), so the check resumes after a restart; `sla_counted` marks
 * the order whose SLA breach was counted in the metric (once per order).
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { idColumn } from './columns.js';
import type { Engine } from './index.js';

export function migration0011(engine: Engine): Migration {
  const id = idColumn(engine);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('work_orders')
        .addColumn('id', id.type, id.key)
        .addColumn('alert_id', 'text')
        .addColumn('fingerprint', 'text')
        .addColumn('rule', 'text')
        .addColumn('station_id', 'text', (c) => c.notNull())
        .addColumn('township', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        // open | in_progress | fixed | verified | closed
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('assignee_id', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('due_at', 'bigint', (c) => c.notNull())
        .addColumn('fixed_at', 'bigint')
        .addColumn('verified_at', 'bigint')
        .addColumn('closed_at', 'bigint')
        .addColumn('reopened', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('verification_json', 'text')
        .addColumn('sla_counted', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('work_orders_township_state')
        .on('work_orders')
        .columns(['township', 'state', 'id'])
        .execute();
      await db.schema.createIndex('work_orders_state').on('work_orders').columns(['state', 'id']).execute();
      await db.schema.createIndex('work_orders_created').on('work_orders').columns(['created_at']).execute();
      await lookupIndexes(db);
      // One work order per alert until it is closed: a second create is refused (409).
      await db.schema
        .createIndex('work_orders_open_alert')
        .unique()
        .on('work_orders')
        .column('alert_id')
        .where(sql.ref('state'), '<>', 'closed')
        .execute();
      await db.schema
        .createTable('work_order_photos')
        .addColumn('id', id.type, id.key)
        .addColumn('work_order_id', 'bigint', (c) => c.notNull().references('work_orders.id'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addColumn('data', engine === 'sqlite' ? 'blob' : 'bytea', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('work_order_photos_order')
        .on('work_order_photos')
        .columns(['work_order_id', 'id'])
        .execute();
      await db.schema
        .createTable('work_order_events')
        .addColumn('id', id.type, id.key)
        .addColumn('work_order_id', 'bigint', (c) => c.notNull().references('work_orders.id'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        // null: the system (sensor verification, a fault that came back)
        .addColumn('user_id', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('text', 'text')
        .addColumn('photo_id', 'bigint', (c) => c.references('work_order_photos.id'))
        .execute();
      await db.schema
        .createIndex('work_order_events_order')
        .on('work_order_events')
        .columns(['work_order_id', 'id'])
        .execute();
    },
  };
}

/**
 * By the alert's fingerprint (the sensor verifier follows it) and by alert (StoredAlert.workOrderId
 * reads the newest for every listed alert).
 */
async function lookupIndexes(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('work_orders_fingerprint').on('work_orders').columns(['fingerprint']).execute();
  await db.schema.createIndex('work_orders_alert').on('work_orders').columns(['alert_id', 'id']).execute();
}
