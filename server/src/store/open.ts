/**
 * The operations store (issue 12): people, roles, sessions, tokens and the audit log. SQLite in
 * `$YIZHAN_DATA_DIR/yizhan.db` by default, so `npm start` needs nothing new; PostgreSQL when
 * YIZHAN_DB_URL is a postgres:// URL, for more than one server process. One Kysely instance either
 * way; migrations run at open, and a store migrated by newer code is refused.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Migrator, type MigrationProvider } from 'kysely/migration';
import pg from 'pg';
import { migrations, type Engine } from './migrations/index.js';
import type { Database } from './schema.js';

export const SQLITE_FILE = 'yizhan.db';
/** How long a SQLite writer waits for another connection's lock before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

export interface StoreOptions {
  /** YIZHAN_DB_URL: unset or empty for SQLite in dataDir, or postgres://… / postgresql://… */
  url?: string | undefined;
  /** YIZHAN_DATA_DIR: where the SQLite file lives (unused with PostgreSQL); absent: in memory (tests). */
  dataDir: string | undefined;
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  /** Where the data is: the SQLite file, or the PostgreSQL URL without its password. */
  readonly location: string;
  close(): Promise<void>;
}

/** Thrown when the store was migrated by newer code than this one. */
export class StoreTooNewError extends Error {}

/** pg returns int8 (bigint) as a string; every bigint here is a Unix-ms time or an id, safe as a number. */
const INT8_OID = 20;

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function connect(opts: StoreOptions): Store {
  const url = opts.url?.trim();
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const types = new pg.TypeOverrides();
    types.setTypeParser(INT8_OID, 'text', (v: string) => Number(v));
    const pool = new pg.Pool({ connectionString: url, types });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, engine: 'postgres', location: redact(url), close: () => db.destroy() };
  }
  if (url)
    throw new Error(
      `YIZHAN_DB_URL 须为空（SQLite）或以 postgres:// 开头 / must be empty (SQLite) or start with postgres:// — got "${url.split(':')[0]}:…"`,
    );
  const file = opts.dataDir === undefined ? ':memory:' : path.join(opts.dataDir, SQLITE_FILE);
  if (opts.dataDir !== undefined) mkdirSync(opts.dataDir, { recursive: true });
  const sqlite = new SQLite(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  sqlite.pragma('journal_mode = WAL');
  // better-sqlite3's build turns foreign keys on by default; said here so a different build cannot drop it.
  sqlite.pragma('foreign_keys = ON');
  // WAL with synchronous=NORMAL can lose the last commits on power loss; FULL keeps every answered write.
  sqlite.pragma('synchronous = FULL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, engine: 'sqlite', location: file, close: () => db.destroy() };
}

/** Apply the migrations this code knows; refuse a store with an applied migration it does not know. */
export async function migrate(store: Store): Promise<void> {
  const known = migrations(store.engine);
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(known) };
  const migrator = new Migrator({ db: store.db, provider });
  const unknown = await unknownApplied(store, new Set(Object.keys(known)));
  if (unknown.length) {
    throw new StoreTooNewError(
      `操作数据库 ${store.location} 已被更新版本的程序迁移到 ${unknown.at(-1)}，本程序只认识到 ${Object.keys(known).at(-1)}；` +
        `请升级程序，或从升级前的备份恢复 / the operations store ${store.location} was migrated to ${unknown.at(-1)} by newer code; ` +
        `this code knows migrations up to ${Object.keys(known).at(-1)}: run the newer version, or restore the backup taken before the upgrade`,
    );
  }
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
}

/** Names in Kysely's migration table that this code has no migration for. */
async function unknownApplied(store: Store, known: Set<string>): Promise<string[]> {
  const tables = await store.db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === 'kysely_migration')) return [];
  const rows = await (store.db as unknown as Kysely<{ kysely_migration: { name: string } }>)
    .selectFrom('kysely_migration')
    .select('name')
    .orderBy('name')
    .execute();
  return rows.map((r) => r.name).filter((n) => !known.has(n));
}

/** Open the store and bring its schema up to date; closed again if migrating fails. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  const store = connect(opts);
  try {
    await migrate(store);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
