/**
 * The union's notices for station screens (notices/): weather warnings, opening-hour changes and
 * events, for one station, one township or the whole county, shown between `starts_at` and
 * `ends_at`. Rows are never deleted: a notice taken down early is `withdrawn_at`; who wrote and
 * changed it is in the audit log (`notice.add`, `notice.change`, `notice.withdraw`).
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { idColumn } from './columns.js';
import type { Engine } from './index.js';

export function migration0015(engine: Engine): Migration {
  const id = idColumn(engine);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('notices')
        .addColumn('id', id.type, id.key)
        // county | township | station
        .addColumn('scope', 'text', (c) => c.notNull())
        // Township code: the township's own, or the station's; null for a county notice.
        .addColumn('township', 'text')
        // Set only for a station notice.
        .addColumn('station_id', 'text')
        // weather | hours | event | other
        .addColumn('kind', 'text', (c) => c.notNull())
        // info | warning | critical
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('title_zh', 'text', (c) => c.notNull())
        .addColumn('title_en', 'text')
        .addColumn('body_zh', 'text', (c) => c.notNull())
        .addColumn('body_en', 'text')
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addColumn('ends_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('withdrawn_at', 'bigint')
        .addColumn('withdrawn_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .execute();
      // The board loads the notices not yet over at every start and reload: by end time.
      await db.schema.createIndex('notices_ends').on('notices').columns(['ends_at', 'id']).execute();
      await db.schema.createIndex('notices_township').on('notices').columns(['township', 'ends_at']).execute();
    },
  };
}
