/**
 * The two engines of the operations store for table-driven tests (`describe.each(STORE_ENGINES)`):
 * SQLite in a temp folder, and PostgreSQL in a throw-away cluster with a database per `fresh()`.
 * Call `setup()` in beforeAll and `teardown()` in afterAll of the describe.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { StoreOptions } from '../../server/src/store/open.js';
import { startPostgres, type PgCluster } from './postgres.js';

export interface StoreEngine {
  name: 'sqlite' | 'postgres';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A fresh, empty store location. */
  fresh(): Promise<StoreOptions & { dataDir: string }>;
}

function tmpDir(dirs: string[]): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'yizhan-store-'));
  dirs.push(d);
  return d;
}

/** Create database `name` in the cluster at `url` (its `postgres` database). */
export async function createPgDatabase(url: string, name: string): Promise<string> {
  const db = new Kysely<never>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
  });
  try {
    await sql.raw(`create database ${name}`).execute(db);
  } finally {
    await db.destroy();
  }
  return url.replace(/\/postgres$/, `/${name}`);
}

export function storeEngines(): StoreEngine[] {
  const dirs: string[] = [];
  let cluster: PgCluster | undefined;
  let dbs = 0;
  const removeDirs = (): void => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  };
  return [
    {
      name: 'sqlite',
      setup: () => Promise.resolve(),
      teardown: () => Promise.resolve(removeDirs()),
      fresh: () => Promise.resolve({ dataDir: tmpDir(dirs) }),
    },
    {
      name: 'postgres',
      async setup() {
        cluster = await startPostgres();
      },
      async teardown() {
        removeDirs();
        await cluster?.stop();
      },
      async fresh() {
        if (!cluster) throw new Error('no cluster: setup() first');
        return { url: await createPgDatabase(cluster.url, `t${++dbs}`), dataDir: tmpDir(dirs) };
      },
    },
  ];
}
