import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openStore,
  StoreTooNewError,
  type Store,
  type StoreOptions,
} from '../../../server/src/store/open.js';
import { startPostgres, type PgCluster } from '../../helpers/postgres.js';
import { migrations } from '../../../server/src/store/migrations/index.js';

/** One engine under test: how to get a fresh, empty store location for one test. */
interface Engine {
  name: 'sqlite' | 'postgres';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  fresh(): Promise<StoreOptions & { dataDir: string }>;
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'yizhan-store-'));
  tmpDirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

let pgCluster: PgCluster | undefined;
let pgDbs = 0;

const ENGINES: Engine[] = [
  {
    name: 'sqlite',
    setup: () => Promise.resolve(),
    teardown: () => Promise.resolve(),
    fresh: () => Promise.resolve({ dataDir: tmpDir() }),
  },
  {
    name: 'postgres',
    async setup() {
      pgCluster = await startPostgres();
    },
    async teardown() {
      await pgCluster?.stop();
    },
    // A database per test: every test starts from an empty store.
    async fresh() {
      if (!pgCluster) throw new Error('no cluster');
      const name = `t${++pgDbs}`;
      const admin = await openRaw(pgCluster.url);
      try {
        await sql.raw(`create database ${name}`).execute(admin.db);
      } finally {
        await admin.close();
      }
      return { url: pgCluster.url.replace(/\/postgres$/, `/${name}`), dataDir: tmpDir() };
    },
  },
];

/** The cluster's own database, without migrations: only to create the per-test databases. */
async function openRaw(url: string): Promise<Pick<Store, 'db' | 'close'>> {
  const { Kysely, PostgresDialect } = await import('kysely');
  const pg = (await import('pg')).default;
  const db = new Kysely<never>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
  });
  return { db: db as never, close: () => db.destroy() };
}

const user = (login: string) => ({
  login,
  display_name: '张三',
  password_hash: 'scrypt$x',
  created_at: 1_767_225_600_000,
  disabled_at: null,
});

describe.each(ENGINES)('operations store on $name', (engine) => {
  beforeAll(() => engine.setup(), 120_000);
  afterAll(() => engine.teardown(), 60_000);

  it('applies its migrations to an empty store: every table is there and empty', async () => {
    const store = await openStore(await engine.fresh());
    try {
      expect(store.engine).toBe(engine.name);
      const names = (await store.db.introspection.getTables()).map((t) => t.name).sort();
      expect(names).toEqual([
        'alert_escalations',
        'alert_events',
        'alerts',
        'api_tokens',
        'audit_log',
        'audit_retention',
        'demand_layers',
        'demand_points',
        'notices',
        'outbox',
        'outbox_attempts',
        'planning_candidates',
        'planning_daily',
        'planning_daily_sync',
        'planning_monthly',
        'rider_report_events',
        'rider_report_photos',
        'rider_reports',
        'role_grants',
        'sessions',
        'silences',
        'townships',
        'users',
        'work_order_events',
        'work_order_photos',
        'work_orders',
      ]);
      expect(await store.db.selectFrom('users').selectAll().execute()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('reopens an up-to-date store without changing it, and a write survives closing', async () => {
    const opts = await engine.fresh();
    const first = await openStore(opts);
    await first.db
      .insertInto('townships')
      .values({ code: 'zq', name_zh: '朱桥镇', name_en: 'Zhuqiao' })
      .execute();
    const { id } = await first.db
      .insertInto('users')
      .values(user('wang'))
      .returning('id')
      .executeTakeFirstOrThrow();
    await first.db
      .insertInto('role_grants')
      .values({ user_id: id, role: 'township_manager', scope: 'zq' })
      .execute();
    await first.close();

    const again = await openStore(opts);
    try {
      const rows = await again.db.selectFrom('users').select(['id', 'login', 'created_at']).execute();
      // created_at comes back as the same number on both engines (bigint parsed on PostgreSQL).
      expect(rows).toEqual([{ id, login: 'wang', created_at: 1_767_225_600_000 }]);
      expect(await again.db.selectFrom('role_grants').selectAll().execute()).toEqual([
        { user_id: id, role: 'township_manager', scope: 'zq' },
      ]);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        again.db,
      );
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations(engine.name)));
    } finally {
      await again.close();
    }
  });

  it('refuses a store migrated by newer code, naming the version and what to do', async () => {
    const opts = await engine.fresh();
    const store = await openStore(opts);
    await sql`insert into kysely_migration (name, timestamp) values ('0999_future', '2030-01-01T00:00:00.000Z')`.execute(
      store.db,
    );
    await store.close();
    const refused = openStore(opts);
    await expect(refused).rejects.toBeInstanceOf(StoreTooNewError);
    await expect(refused).rejects.toThrow(/0999_future.*run the newer version, or restore the backup/);
  });

  it('enforces a unique login', async () => {
    const store = await openStore(await engine.fresh());
    try {
      await store.db.insertInto('users').values(user('li')).execute();
      await expect(store.db.insertInto('users').values(user('li')).execute()).rejects.toThrow(/unique/i);
      expect(await store.db.selectFrom('users').select('login').execute()).toEqual([{ login: 'li' }]);
    } finally {
      await store.close();
    }
  });

  it('enforces foreign keys: a role grant for a missing user is refused', async () => {
    const store = await openStore(await engine.fresh());
    try {
      await expect(
        store.db
          .insertInto('role_grants')
          .values({ user_id: 4242, role: 'viewer', scope: 'county' })
          .execute(),
      ).rejects.toThrow(/foreign key/i);
      expect(await store.db.selectFrom('role_grants').selectAll().execute()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it.runIf(engine.name === 'sqlite')(
    'keeps SQLite in one WAL file in the data folder, synced at every commit',
    async () => {
      const opts = await engine.fresh();
      const store = await openStore(opts);
      try {
        expect(store.location).toBe(path.join(opts.dataDir, 'yizhan.db'));
        const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
        expect(mode.rows).toEqual([{ journal_mode: 'wal' }]);
        const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
        expect(sync.rows).toEqual([{ synchronous: 2 }]); // FULL
      } finally {
        await store.close();
      }
    },
  );

  it.runIf(engine.name === 'sqlite')(
    'keeps a committed write when the writing process is killed with SIGKILL',
    async () => {
      const opts = await engine.fresh();
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(import.meta.dirname, 'fixtures/write-and-hang.ts'),
          opts.dataDir,
          'killed',
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_c, s) => resolve(s)),
      );
      try {
        await expect.poll(() => out + err, { timeout: 30_000 }).toContain('committed');
      } finally {
        child.kill('SIGKILL');
      }
      expect(await exited).toBe('SIGKILL');
      const store = await openStore(opts);
      try {
        expect(await store.db.selectFrom('users').select('login').execute()).toEqual([{ login: 'killed' }]);
      } finally {
        await store.close();
      }
    },
  );
});

describe('store URL', () => {
  it('refuses a YIZHAN_DB_URL that is neither empty nor postgres://', async () => {
    await expect(openStore({ url: 'mysql://root:pw@db/yizhan', dataDir: tmpDir() })).rejects.toThrow(
      /postgres:\/\/.*mysql:…/,
    );
  });
});
