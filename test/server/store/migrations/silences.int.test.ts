/**
 * The silences table (migration 0007) on SQLite and PostgreSQL: a silence reads back the same on
 * both (ids and times as numbers, the window, the creator's name), `active` leaves out ended and
 * expired ones, and the cache the alert path reads matches an alert by it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../../server/src/store/open.js';
import { SilenceCache, readSilences } from '../../../../server/src/alerts/silences.js';
import { insertUserRow, testEngines } from '../engines.js';

const NOW = Date.parse('2026-12-02T02:30:00+08:00'); // Wednesday 02:30 in the county
const HOUR = 3_600_000;

describe.each(testEngines())('silences on $name', (engine) => {
  let store: Store;
  let userId: number;
  beforeAll(async () => {
    await engine.setup();
    store = await openStore(await engine.fresh());
    userId = await insertUserRow(store.db, 'lead', '李班长', NOW);
  }, 120_000);
  afterAll(async () => {
    await store.close();
    await engine.teardown();
  }, 60_000);

  const add = async (over: { ends_at?: number; ended_at?: number | null; township?: string }) => {
    const r = await store.db
      .insertInto('silences')
      .values({
        station_id: null,
        township: over.township ?? 'chengguan',
        rule: 'dispenser_broken',
        severity: null,
        starts_at: NOW - HOUR,
        ends_at: over.ends_at ?? NOW + 24 * HOUR,
        window_json: JSON.stringify({ days: [3], from: '02:00', to: '03:00' }),
        reason: '每周三检修',
        created_by: userId,
        created_at: NOW - HOUR,
        ended_at: over.ended_at ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  };

  it('reads a silence back the same on both engines; active leaves out ended and expired ones', async () => {
    const live = await add({});
    const ended = await add({ ended_at: NOW - 1000 });
    const expired = await add({ ends_at: NOW - 1000 });
    const [one] = await readSilences(store.db, { id: live });
    expect(one).toEqual({
      id: live,
      matchers: { township: 'chengguan', rule: 'dispenser_broken' },
      startsAt: NOW - HOUR,
      endsAt: NOW + 24 * HOUR,
      window: { days: [3], from: '02:00', to: '03:00' },
      reason: '每周三检修',
      createdBy: { id: userId, displayName: '李班长' },
      createdAt: NOW - HOUR,
      endedAt: null,
      endedBy: null,
    });
    const active = (await readSilences(store.db, { active: true, now: NOW })).map((s) => s.id);
    expect(active).toEqual([live]);
    const all = (await readSilences(store.db)).map((s) => s.id);
    expect(all).toEqual([expired, ended, live]);
  });

  it('the cache silences a matching alert inside the window and not outside it', async () => {
    const cache = new SilenceCache(store.db);
    await cache.refresh(NOW);
    const alert = {
      stationId: 'st-001',
      townshipCode: 'chengguan',
      rule: 'dispenser_broken',
      severity: 'critical',
    };
    expect(cache.silencedBy(alert, NOW)).not.toBeNull();
    expect(cache.silencedBy(alert, NOW + HOUR)).toBeNull();
    expect(cache.silencedBy({ ...alert, townshipCode: 'xintang' }, NOW)).toBeNull();
  });
});
