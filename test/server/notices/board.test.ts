/**
 * The notice board on a fake clock: it announces a notice's stations exactly at its start and at its
 * end (one timer, no polling), waits for moments beyond setTimeout's 24.8-day limit in steps, and
 * after a reload announces only what changed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NoticeBoard } from '../../../server/src/notices/board.js';
import type { Notice, NoticeScope } from '../../../server/src/routes/notices/schemas.js';

const T0 = Date.parse('2026-12-02T08:00:00+08:00');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TOWNSHIPS: Record<string, string[]> = { chengguan: ['st-001', 'st-003'], xintang: ['st-002'] };
const ALL = ['st-001', 'st-002', 'st-003'];

let seq = 0;
function notice(scope: NoticeScope, startsAt: number, endsAt: number, updatedAt = T0): Notice {
  return {
    id: ++seq,
    scope,
    kind: 'event',
    severity: 'info',
    title: { 'zh-CN': `通知${seq}`, en: null },
    body: { 'zh-CN': '内容', en: null },
    startsAt,
    endsAt,
    createdBy: null,
    createdAt: T0,
    updatedAt,
    withdrawnAt: null,
    withdrawnBy: null,
  };
}

function board(rows: { list: Notice[] }) {
  const b = new NoticeBoard({
    load: (now) => Promise.resolve(rows.list.filter((n) => n.endsAt > now)),
    townshipOf: (id) => Object.keys(TOWNSHIPS).find((t) => TOWNSHIPS[t]!.includes(id)),
    stationsOf: (s) => ('stationId' in s ? [s.stationId] : 'township' in s ? (TOWNSHIPS[s.township] ?? []) : ALL),
  });
  const changes: { at: number; stations: string[] }[] = [];
  b.on('change', (s) => changes.push({ at: Date.now(), stations: [...s].sort() }));
  return { b, changes };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

describe('NoticeBoard', () => {
  it('announces a township notice to its stations at its start and at its end, and nothing between', async () => {
    const rows = { list: [notice({ township: 'chengguan' }, T0 + HOUR, T0 + 2 * HOUR)] };
    const { b, changes } = board(rows);
    await b.reload();
    expect(changes).toEqual([]);
    expect(b.nextChangeAt()).toBe(T0 + HOUR);
    await vi.advanceTimersByTimeAsync(HOUR - 1);
    expect(changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(changes).toEqual([{ at: T0 + HOUR, stations: ['st-001', 'st-003'] }]);
    expect(b.forStation('st-003').notices.map((n) => n.title['zh-CN'])).toEqual(['通知1']);
    expect(b.forStation('st-002').notices).toEqual([]);
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(changes.at(-1)).toEqual({ at: T0 + 2 * HOUR, stations: ['st-001', 'st-003'] });
    expect(b.forStation('st-001').notices).toEqual([]);
    expect(b.nextChangeAt()).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    b.stop();
  });

  it('waits for an end 60 days away in steps below setTimeout’s limit and ends it on the day', async () => {
    const rows = { list: [notice({ county: true }, T0 - HOUR, T0 + 60 * DAY)] };
    const { b, changes } = board(rows);
    await b.reload();
    expect(changes).toEqual([{ at: T0, stations: ALL }]);
    await vi.advanceTimersByTimeAsync(59 * DAY);
    expect(changes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(DAY);
    expect(changes.at(-1)).toEqual({ at: T0 + 60 * DAY, stations: ALL });
    b.stop();
  });

  it('after a reload announces only the notices that changed, to the stations of both their old and new state', async () => {
    const kept = notice({ stationId: 'st-002' }, T0 - HOUR, T0 + HOUR);
    const edited = notice({ township: 'chengguan' }, T0 - HOUR, T0 + HOUR);
    const rows = { list: [kept, edited] };
    const { b, changes } = board(rows);
    await b.reload();
    changes.length = 0;
    await b.reload();
    expect(changes).toEqual([]);
    rows.list = [kept, { ...edited, title: { 'zh-CN': '改过', en: null }, updatedAt: T0 + 1 }];
    await b.reload();
    expect(changes).toEqual([{ at: T0, stations: ['st-001', 'st-003'] }]);
    // Withdrawn: no longer loaded, so its stations hear that it left.
    rows.list = [rows.list[1]!];
    await b.reload();
    expect(changes.at(-1)).toEqual({ at: T0, stations: ['st-002'] });
    b.stop();
  });
});
