/**
 * Column shapes every migration writes the same way on both engines. Migrations that shipped
 * depend on these staying as they are: change one only with a new migration.
 */
import type { ColumnDefinitionBuilder } from 'kysely';
import type { Engine } from './index.js';

/** An auto-increment integer primary key: `.addColumn('id', id.type, id.key)`. */
export function idColumn(engine: Engine): {
  type: 'integer' | 'bigserial';
  key: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
} {
  return {
    type: engine === 'sqlite' ? 'integer' : 'bigserial',
    // AUTOINCREMENT: SQLite then never reuses a deleted row's id, like PostgreSQL's sequence.
    key: (c) => (engine === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()),
  };
}
