/**
 * The riders' reports tables (migration 0016) on SQLite and PostgreSQL: a report reads back the same
 * on both (ids, times and coordinates as numbers), a step is compare-and-set, two uploads racing for
 * the last photo slot store one, the report follows its work order, the figures' median and the
 * contact retention give the same answers on both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../server/src/store/open.js';
import { ReportRepo, type NewReport } from '../../../server/src/reports/repo.js';
import { followOrder } from '../../../server/src/reports/follow.js';
import { applyContactRetention } from '../../../server/src/reports/retention.js';
import { reportFigures } from '../../../server/src/reports/figures.js';
import { WorkOrderRepo } from '../../../server/src/workorders/repo.js';
import { insertUserRow, testEngines } from '../store/engines.js';
import { JPEG_16x12 } from './images.js';

const NOW = Date.parse('2026-11-20T10:00:00+08:00');
const DAY = 86_400_000;
const names = { stationName: () => '测试001号驿站', townshipName: () => '城关镇' };

const draft = (over: Partial<NewReport> = {}): NewReport => ({
  category: 'station_fault',
  text: '热水器不出热水',
  stationId: 'st-001',
  township: 'chengguan',
  location: { lat: 30.123456789, lon: 120.987654321, accuracyM: 12.5 },
  contactName: '张师傅',
  contactPhone: '139 8765 4321',
  creditName: '老张',
  photosDeclared: 2,
  uploadTokenHash: 'ab'.repeat(32),
  uploadUntil: NOW + 30 * 60_000,
  at: NOW,
  ...over,
});

describe.each(testEngines())('rider reports on $name', (engine) => {
  let store: Store;
  let repo: ReportRepo;
  let userId: number;
  beforeAll(async () => {
    await engine.setup();
    store = await openStore(await engine.fresh());
    repo = new ReportRepo(store.db, names);
    userId = await insertUserRow(store.db, 'grid', '网格员', NOW);
  }, 120_000);
  afterAll(async () => {
    await store.close();
    await engine.teardown();
  }, 60_000);

  it('reads a report back with numbers as numbers; the public view has no contact', async () => {
    const { id, receipt } = await repo.create(draft());
    const row = await repo.byReceipt(receipt);
    expect(row).toMatchObject({
      id,
      lat: 30.123456789,
      lon: 120.987654321,
      created_at: NOW,
      status: 'received',
    });
    expect(typeof row?.id).toBe('number');
    const view = await repo.publicView(row!, 'zh-CN');
    expect(view).toMatchObject({
      status: 'received',
      createdAt: NOW,
      photos: 0,
      stationName: '测试001号驿站',
    });
    expect(JSON.stringify(view)).not.toMatch(/8765|张师傅/);
  });

  it('a step is compare-and-set: the second of two triages changes nothing', async () => {
    const { id } = await repo.create(draft());
    const triage = (decision: string) =>
      store.db.transaction().execute((trx) =>
        repo.step(
          trx,
          id,
          ['received'],
          { status: 'accepted', decision, triaged_at: NOW + 60_000, triaged_by: userId, updated_at: NOW },
          {
            at: NOW,
            kind: 'triaged',
            note: null,
            user: { id: userId, displayName: '网格员' },
          },
        ),
      );
    expect(await triage('valid')).toBe(true);
    expect(await triage('duplicate')).toBe(false);
    expect((await repo.row(id))?.decision).toBe('valid');
    expect((await repo.events(id)).map((e) => [e.kind, e.status, e.user?.displayName ?? null])).toEqual([
      ['received', 'received', null],
      ['triaged', 'accepted', '网格员'],
    ]);
  });

  it('two uploads racing for the last photo slot store exactly one', async () => {
    const { id } = await repo.create(draft());
    const photo = { at: NOW, contentType: 'image/jpeg', data: JPEG_16x12, keptLocation: false };
    await repo.addPhoto(id, photo, 3);
    await repo.addPhoto(id, photo, 3);
    const raced = await Promise.all([repo.addPhoto(id, photo, 3), repo.addPhoto(id, photo, 3)]);
    expect(raced.filter((n) => n !== undefined)).toEqual([3]);
    expect((await repo.photos(id)).map((p) => p.n)).toEqual([1, 2, 3]);
    expect((await repo.photo(id, 3))?.data.equals(JPEG_16x12)).toBe(true);
  });

  it('follows its work order: resolved once the order is closed', async () => {
    const orders = new WorkOrderRepo(store.db, { stationName: () => 'x', townshipName: () => 'y' });
    const { id } = await repo.create(draft({ contactName: null, contactPhone: null }));
    const orderId = await store.db.transaction().execute((trx) =>
      orders.create(trx, {
        alert: null,
        stationId: 'st-001',
        township: 'chengguan',
        title: '骑手反映',
        description: '',
        severity: 'warning',
        assigneeId: null,
        by: null,
        at: NOW,
        dueAt: NOW + DAY,
      }),
    );
    await store.db
      .updateTable('rider_reports')
      .set({ status: 'in_progress', work_order_id: orderId })
      .where('id', '=', id)
      .execute();
    expect(await followOrder(repo, { id: orderId, state: 'fixed' }, NOW + 1)).toEqual([]);
    expect((await followOrder(repo, { id: orderId, state: 'closed' }, NOW + 2)).map((r) => r.id)).toEqual([
      id,
    ]);
    expect(await repo.row(id)).toMatchObject({ status: 'resolved', closed_at: NOW + 2 });
  });

  it('figures: median answer time in seconds, credited riders of valid reports only', async () => {
    const start = Date.parse('2026-10-01T00:00:00+08:00');
    const mk = async (minutes: number | null, decision: string | null, credit: string | null) => {
      const { id } = await repo.create(
        draft({ at: start + DAY, creditName: credit, township: 'xintang', category: 'road_damage' }),
      );
      await store.db
        .updateTable('rider_reports')
        .set({ decision, triaged_at: minutes === null ? null : start + DAY + minutes * 60_000 })
        .where('id', '=', id)
        .execute();
    };
    await mk(10, 'valid', '老王');
    await mk(30, 'valid', '老王');
    await mk(50, 'not_valid', '小赵');
    await mk(null, null, null);
    const f = await reportFigures(store.db, {
      startMs: start,
      endMs: start + 31 * DAY,
      townships: new Map([['xintang', '新塘镇']]),
      timeZone: 'Asia/Shanghai',
      lang: 'zh-CN',
    });
    expect(f.rows).toEqual([
      {
        month: '2026-10',
        townshipCode: 'xintang',
        township: '新塘镇',
        category: 'road_damage',
        categoryName: '道路破损',
        received: 4,
        valid: 2,
        medianAnswerS: 1800,
      },
    ]);
    expect(f.riders).toEqual([{ name: '老王', valid: 2 }]);
  });

  it('retention empties the contact of reports closed before the cut, once', async () => {
    const { id } = await repo.create(draft());
    await store.db
      .updateTable('rider_reports')
      .set({ status: 'resolved', closed_at: NOW })
      .where('id', '=', id)
      .execute();
    expect(await applyContactRetention(store.db, 90 * DAY, NOW + 89 * DAY)).toBe(0);
    expect(await applyContactRetention(store.db, 90 * DAY, NOW + 91 * DAY)).toBe(1);
    expect(await repo.row(id)).toMatchObject({
      contact_name: null,
      contact_phone: null,
      contact_deleted_at: NOW + 91 * DAY,
      credit_name: '老张',
    });
    expect(await applyContactRetention(store.db, 90 * DAY, NOW + 92 * DAY)).toBe(0);
  });
});
