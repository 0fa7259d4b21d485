/**
 * Planning (docs/planning.md, "Coverage and candidate sites"): demand layers the planner imports
 * (their points go with them when a layer is deleted) and candidate sites for new stations. The
 * built-in layer (station occupancy) is derived on request and never stored.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { idColumn } from './columns.js';
import type { Engine } from './index.js';

export function migration0012(engine: Engine): Migration {
  const id = idColumn(engine);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('demand_layers')
        .addColumn('id', id.type, id.key)
        .addColumn('name', 'text', (c) => c.notNull())
        // orders | merchants | residential | reports | other
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('points', 'integer', (c) => c.notNull())
        .addColumn('total_weight', 'double precision', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .execute();
      await db.schema
        .createTable('demand_points')
        .addColumn('id', id.type, id.key)
        .addColumn('layer_id', 'bigint', (c) =>
          c.notNull().references('demand_layers.id').onDelete('cascade'),
        )
        .addColumn('lat', 'double precision', (c) => c.notNull())
        .addColumn('lon', 'double precision', (c) => c.notNull())
        .addColumn('weight', 'double precision', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('demand_points_layer').on('demand_points').columns(['layer_id']).execute();
      await db.schema
        .createTable('planning_candidates')
        .addColumn('id', id.type, id.key)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('lat', 'double precision', (c) => c.notNull())
        .addColumn('lon', 'double precision', (c) => c.notNull())
        // import | map
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .execute();
    },
  };
}
