/**
 * Migration 0005 on both engines: the database itself keeps the audit log append-only. An UPDATE
 * always fails, a DELETE of an entry younger than the retention fails, the retention run deletes
 * exactly the older ones, and an account with entries cannot be deleted (only disabled).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../../server/src/store/open.js';
import { applyAuditRetention, setAuditRetention } from '../../../../server/src/org/audit-retention.js';
import { testEngines } from '../engines.js';

const DAY = 86_400_000;

async function entry(store: Store, at: number, userId: number | null = null): Promise<number> {
  const r = await store.db
    .insertInto('audit_log')
    .values({
      at,
      user_id: userId,
      address: null,
      action: 'config.put',
      target: 'station:st-001',
      township: 'chengguan',
      before_json: null,
      after_json: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

const count = async (store: Store) => (await store.db.selectFrom('audit_log').select('id').execute()).length;

describe.each(testEngines())('audit log append-only on $name', (engine) => {
  let store: Store;
  beforeAll(async () => {
    await engine.setup();
    store = await openStore(await engine.fresh());
  }, 120_000);
  afterAll(async () => {
    await store.close();
    await engine.teardown();
  }, 60_000);

  it('refuses every UPDATE, even of an old entry', async () => {
    const id = await entry(store, Date.now() - 1000 * DAY);
    await expect(
      store.db.updateTable('audit_log').set({ action: 'forged' }).where('id', '=', id).execute(),
    ).rejects.toThrow(/append-only: UPDATE refused/);
    const row = await store.db
      .selectFrom('audit_log')
      .select('action')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.action).toBe('config.put');
  });

  it('refuses any DELETE until the server set a retention, then only of entries younger than it', async () => {
    const young = await entry(store, Date.now() - DAY);
    await expect(store.db.deleteFrom('audit_log').where('id', '=', young).execute()).rejects.toThrow(
      /younger than the retention/,
    );
    await setAuditRetention(store.db, 30 * DAY);
    await expect(store.db.deleteFrom('audit_log').where('id', '=', young).execute()).rejects.toThrow(
      /younger than the retention/,
    );
    // One young entry in a DELETE fails it whole: nothing is deleted.
    await expect(store.db.deleteFrom('audit_log').execute()).rejects.toThrow(/younger than the retention/);
    expect(await count(store)).toBe(2);
  });

  it('the retention run deletes exactly the entries older than the retention', async () => {
    const before = await count(store);
    const old = await entry(store, Date.now() - 40 * DAY);
    const kept = await entry(store, Date.now() - 20 * DAY);
    expect(await applyAuditRetention(store.db, 30 * DAY)).toBe(2);
    const ids = (await store.db.selectFrom('audit_log').select('id').execute()).map((r) => r.id);
    expect(ids).not.toContain(old);
    expect(ids).toContain(kept);
    expect(ids).toHaveLength(before);
  });

  it('an account with audit entries cannot be deleted (its entries would change)', async () => {
    const { id } = await store.db
      .insertInto('users')
      .values({
        login: 'wang',
        display_name: '王',
        password_hash: 'x',
        disabled_at: null,
        created_at: 1,
        locked_until: null,
        password_changed_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await entry(store, Date.now(), id);
    await expect(store.db.deleteFrom('users').where('id', '=', id).execute()).rejects.toThrow(
      /UPDATE refused/,
    );
  });

  it.runIf(engine.name === 'postgres')('refuses TRUNCATE on PostgreSQL', async () => {
    await expect(sql`truncate audit_log`.execute(store.db)).rejects.toThrow(/TRUNCATE refused/);
  });
});
