/**
 * The notices table (migration 0015) on SQLite and PostgreSQL: a notice reads back the same on both
 * (ids and times as numbers, both languages, the author), `current` leaves out withdrawn and ended
 * ones, and the board built on it gives a station exactly its three scopes' notices in screen order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../../server/src/store/open.js';
import { insertNotice, readNotices, withdrawNotice, type NoticeContent } from '../../../../server/src/notices/repo.js';
import { NoticeBoard } from '../../../../server/src/notices/board.js';
import { insertUserRow, testEngines } from '../engines.js';

const NOW = Date.parse('2026-12-02T18:00:00+08:00');
const HOUR = 3_600_000;
const TOWNSHIP_OF: Record<string, string> = { 'st-001': 'chengguan', 'st-002': 'xintang' };

const content = (over: Partial<NoticeContent> = {}): NoticeContent => ({
  kind: 'weather',
  severity: 'warning',
  title: { 'zh-CN': '寒潮蓝色预警', en: 'Blue cold-wave warning' },
  body: { 'zh-CN': '明晨最低气温 -5°C，驿站热水全天供应。', en: null },
  startsAt: NOW - HOUR,
  endsAt: NOW + 6 * HOUR,
  ...over,
});

describe.each(testEngines())('notices on $name', (engine) => {
  let store: Store;
  let userId: number;
  beforeAll(async () => {
    await engine.setup();
    store = await openStore(await engine.fresh());
    userId = await insertUserRow(store.db, 'union', '县总工会', NOW);
  }, 120_000);
  afterAll(async () => {
    await store.close();
    await engine.teardown();
  }, 60_000);

  it('reads a notice back the same on both engines; current leaves out withdrawn and ended ones', async () => {
    const live = await insertNotice(store.db, { township: 'chengguan' }, 'chengguan', content(), userId, NOW);
    const gone = await insertNotice(store.db, { county: true }, null, content(), userId, NOW);
    await withdrawNotice(store.db, gone, userId, NOW + 1);
    const over = await insertNotice(store.db, { stationId: 'st-002' }, 'xintang', content({ endsAt: NOW - 1 }), null, NOW);
    const [one] = await readNotices(store.db, { id: live });
    expect(one).toEqual({
      id: live,
      scope: { township: 'chengguan' },
      kind: 'weather',
      severity: 'warning',
      title: { 'zh-CN': '寒潮蓝色预警', en: 'Blue cold-wave warning' },
      body: { 'zh-CN': '明晨最低气温 -5°C，驿站热水全天供应。', en: null },
      startsAt: NOW - HOUR,
      endsAt: NOW + 6 * HOUR,
      createdBy: { id: userId, displayName: '县总工会' },
      createdAt: NOW,
      updatedAt: NOW,
      withdrawnAt: null,
      withdrawnBy: null,
    });
    expect((await readNotices(store.db, { id: gone }))[0]).toMatchObject({
      withdrawnAt: NOW + 1,
      withdrawnBy: { id: userId, displayName: '县总工会' },
    });
    expect((await readNotices(store.db, { current: true, now: NOW })).map((n) => n.id)).toEqual([live]);
    expect((await readNotices(store.db)).map((n) => n.id)).toEqual([over, gone, live]);
  });

  it('the board gives a station its own, its township’s and the county’s notices, most severe first', async () => {
    const county = await insertNotice(store.db, { county: true }, null, content({ severity: 'info' }), null, NOW);
    const station = await insertNotice(store.db, { stationId: 'st-001' }, 'chengguan', content({ severity: 'critical' }), null, NOW);
    const later = await insertNotice(store.db, { stationId: 'st-001' }, 'chengguan', content({ startsAt: NOW + HOUR }), null, NOW);
    const board = new NoticeBoard({
      load: (now) => readNotices(store.db, { current: true, now }),
      townshipOf: (id) => TOWNSHIP_OF[id],
      stationsOf: () => [],
      now: () => NOW,
    });
    await board.reload();
    board.stop();
    const township = (await readNotices(store.db, { current: true, now: NOW })).find((n) => 'township' in n.scope)!;
    expect(board.forStation('st-001').notices.map((n) => n.id)).toEqual([station, township.id, county]);
    expect(board.forStation('st-002').notices.map((n) => n.id)).toEqual([county]);
    expect(board.nextChangeAt()).toBe(NOW + HOUR);
    expect(later).toBeGreaterThan(0);
  });
});
