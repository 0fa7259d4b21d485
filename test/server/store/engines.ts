/**
 * The two engines of the operations store for integration tests: a fresh, empty store location per
 * call (a temp folder for SQLite; a new database in one throw-away cluster for PostgreSQL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../../../server/src/store/schema.js';
import { startPostgres, type PgCluster } from '../../helpers/postgres.js';

export interface StoreLocation {
  /** YIZHAN_DB_URL for PostgreSQL; undefined for SQLite. */
  url?: string;
  /** YIZHAN_DATA_DIR (the SQLite file's folder; unused by PostgreSQL). */
  dataDir: string;
}

export interface TestEngine {
  name: 'sqlite' | 'postgres';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  fresh(): Promise<StoreLocation>;
  /** The PostgreSQL cluster while set up. */
  cluster?: PgCluster;
}

export function tempDir(prefix = 'yizhan-store-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run SQL against the cluster's own `postgres` database (create databases). */
export async function pgAdmin(url: string, statement: string): Promise<void> {
  const db = new Kysely<never>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
  });
  try {
    await sql.raw(statement).execute(db);
  } finally {
    await db.destroy();
  }
}

export function testEngines(): TestEngine[] {
  const dirs: { remove(): void }[] = [];
  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d.dir;
  };
  const cleanup = () => {
    for (const d of dirs.splice(0)) d.remove();
  };
  let n = 0;
  const postgres: TestEngine = {
    name: 'postgres',
    async setup() {
      postgres.cluster = await startPostgres();
    },
    async teardown() {
      cleanup();
      await postgres.cluster?.stop();
    },
    async fresh() {
      const c = postgres.cluster;
      if (!c) throw new Error('no cluster');
      const name = `org${++n}`;
      await pgAdmin(c.url, `create database ${name}`);
      return { url: c.url.replace(/\/postgres$/, `/${name}`), dataDir: dir() };
    },
  };
  return [
    {
      name: 'sqlite',
      setup: () => Promise.resolve(),
      teardown: () => Promise.resolve(cleanup()),
      fresh: () => Promise.resolve({ dataDir: dir() }),
    },
    postgres,
  ];
}

/** A user row (no usable password) in a store under test, for rows that name their author; its id. */
export async function insertUserRow(
  db: Kysely<Database>,
  login: string,
  displayName: string,
  at: number,
): Promise<number> {
  const u = await db
    .insertInto('users')
    .values({
      login,
      display_name: displayName,
      password_hash: 'x',
      disabled_at: null,
      created_at: at,
      locked_until: null,
      password_changed_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return u.id;
}
