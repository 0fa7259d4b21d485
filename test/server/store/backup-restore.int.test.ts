/**
 * Backup and restore as docs/operations.md describes them, on both engines: accounts and audit
 * entries are written while the real server (server/src/main.ts) runs on the store, a backup is
 * taken without stopping it (SQLite's online backup API; pg_dump -Fc), restored into a fresh
 * location (a new data folder; a new database with pg_restore), and a server started on the
 * restored store answers the same data through the API to a personal token made before the backup.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../scripts/lib/ports.js';
import { openStore, SQLITE_FILE } from '../../../server/src/store/open.js';
import { createToken } from '../../../server/src/auth/sessions.js';
import { recordAudit } from '../../../server/src/org/audit.js';
import { pgBin } from '../../helpers/postgres.js';
import { waitFor } from '../../helpers/wait.js';
import { spawnServerMain, type ServerProcess } from '../helpers.js';
import { testEngines, type StoreLocation, type TestEngine } from './engines.js';

const run = promisify(execFile);

/** The server main on `loc`, with no broker or InfluxDB (it serves the API all the same). */
async function startMain(loc: StoreLocation): Promise<{ proc: ServerProcess; url: string }> {
  const port = await freePort();
  const proc = spawnServerMain({
    YIZHAN_HTTP_HOST: '127.0.0.1',
    YIZHAN_HTTP_PORT: String(port),
    YIZHAN_MQTT_URL: `mqtt://127.0.0.1:${await freePort()}`,
    INFLUX_URL: `http://127.0.0.1:${await freePort()}`,
    YIZHAN_DATA_DIR: loc.dataDir,
    ...(loc.url ? { YIZHAN_DB_URL: loc.url } : {}),
    LOG_LEVEL: 'warn',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'server main answers',
    async () => {
      if (!proc.running) throw new Error(`server main exited:\n${proc.output()}`);
      return (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200;
    },
    60_000,
    200,
  );
  return { proc, url };
}

async function stopMain(proc: ServerProcess): Promise<void> {
  proc.kill('SIGTERM');
  const { code } = await proc.done;
  expect(code).toBe(0);
}

/** Write an admin, a crew lead with a grant and two audit entries through a second connection; a token for the admin. */
async function writeData(loc: StoreLocation): Promise<string> {
  const store = await openStore(loc);
  try {
    const add = async (login: string, name: string) =>
      (
        await store.db
          .insertInto('users')
          .values({
            login,
            display_name: name,
            password_hash: 'scrypt$x',
            disabled_at: null,
            created_at: Date.now(),
            locked_until: null,
            password_changed_at: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    const admin = await add('admin', '县管理员');
    const lead = await add('lead', '李组长');
    await store.db
      .insertInto('role_grants')
      .values([
        { user_id: admin, role: 'county_admin', scope: 'county' },
        { user_id: lead, role: 'crew_lead', scope: 'chengguan' },
      ])
      .execute();
    const principal = {
      kind: 'user' as const,
      userId: admin,
      login: 'admin',
      displayName: '县管理员',
      grants: [],
    };
    await recordAudit(
      store.db,
      { principal, ip: '10.1.2.3' },
      { action: 'user.add', target: `user:${lead}`, after: { login: 'lead' } },
    );
    await recordAudit(
      store.db,
      { principal, ip: '10.1.2.3' },
      { action: 'config.put', target: 'station:st-001', township: 'chengguan' },
    );
    return (await createToken(store.db, admin, 'backup test', ['station:read', 'audit:read'])).token;
  } finally {
    await store.close();
  }
}

/** Back up `from` while its server runs, and restore it into a fresh location. */
async function backupAndRestore(engine: TestEngine, from: StoreLocation): Promise<StoreLocation> {
  const to = await engine.fresh();
  if (engine.name === 'sqlite') {
    // What `sqlite3 yizhan.db ".backup out.db"` does: SQLite's online backup, consistent while writers go on.
    const live = new SQLite(path.join(from.dataDir, SQLITE_FILE), { readonly: true });
    const out = path.join(to.dataDir, 'backup', 'yizhan-backup.db');
    mkdirSync(path.dirname(out), { recursive: true });
    try {
      await live.backup(out);
    } finally {
      live.close();
    }
    // Restore: the backup file becomes the new data folder's yizhan.db.
    copyFileSync(out, path.join(to.dataDir, SQLITE_FILE));
    return to;
  }
  const dump = path.join(to.dataDir, 'yizhan.dump');
  await run(pgBin('pg_dump'), ['-Fc', '-f', dump, from.url ?? '']);
  await run(pgBin('pg_restore'), ['--no-owner', '--exit-on-error', '-d', to.url ?? '', dump]);
  return to;
}

describe.each(testEngines())('backup and restore on $name', (engine) => {
  beforeAll(() => engine.setup(), 120_000);
  afterAll(() => engine.teardown(), 60_000);

  it('a server started on the restored store answers what was written before the backup', async () => {
    const first = await engine.fresh();
    const original = await startMain(first);
    let token: string;
    try {
      token = await writeData(first);
      const restoredLoc = await backupAndRestore(engine, first);
      await stopMain(original.proc);

      const restored = await startMain(restoredLoc);
      try {
        const auth = { authorization: `Bearer ${token}` };
        const audit: unknown = await (await fetch(`${restored.url}/api/v1/audit`, { headers: auth })).json();
        expect(audit).toMatchObject({
          entries: [
            { action: 'config.put', township: 'chengguan', user: { login: 'admin' }, address: '10.1.2.3' },
            { action: 'user.add', township: null, after: { login: 'lead' } },
          ],
          next: null,
        });
        const t: unknown = await (await fetch(`${restored.url}/api/v1/townships`, { headers: auth })).json();
        expect(
          (t as { townships: { code: string; crew: unknown[] }[] }).townships.find(
            (x) => x.code === 'chengguan',
          ),
        ).toMatchObject({
          nameZh: '城关镇',
          stations: 19,
          crew: [{ displayName: '李组长', role: 'crew_lead' }],
        });
      } finally {
        await stopMain(restored.proc);
      }
    } finally {
      if (original.proc.running) original.proc.kill('SIGKILL');
    }
  }, 180_000);
});
