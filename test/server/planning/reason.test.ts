/** Ranking reasons (planning/reason.ts) and the county time helpers (planning/zone.ts). */
import { describe, expect, it } from 'vitest';
import { blockReason, dailyReason, type WeekProfile } from '../../../server/src/planning/reason.js';
import { dayOffset, hourOfWeek, localMidnight, utcOffsetMin } from '../../../server/src/planning/zone.js';
import type { StationFigures } from '../../../server/src/planning/analytics-schemas.js';

const week = (share: (dow: number, hour: number) => number, n = 10): WeekProfile =>
  Array.from({ length: 168 }, (_, i) => ({ sum: share(Math.floor(i / 24), i % 24) * n, n }));

describe('blockReason', () => {
  it('names the weekday block around the peak hour with its sample-weighted share', () => {
    const w = week((d, h) => (d < 5 && h >= 11 && h < 13 ? 0.78 : d < 5 && h === 13 ? 0.2 : 0));
    expect(blockReason(w)).toEqual({ 'zh-CN': '周一至周五 11–13 点满座率 78%', en: 'Mon–Fri 11:00–13:00 full 78% of the time' });
  });
  it('picks the weekend when its block is fuller', () => {
    const w = week((d, h) => (d >= 5 && h === 19 ? 0.5 : d < 5 && h === 8 ? 0.3 : 0));
    expect(blockReason(w)?.['zh-CN']).toBe('周六、周日 19–20 点满座率 50%');
  });
  it('gives no block for a station seldom full', () => {
    expect(blockReason(week(() => 0.01))).toBeNull();
    expect(blockReason(week(() => 0, 0))).toBeNull();
  });
});

describe('dailyReason', () => {
  const f = (occupancyMean: number | null, seats: number) => ({ occupancyMean, seats }) as StationFigures;
  it('says mean people and seat use', () => {
    expect(dailyReason(f(0.4, 12))['zh-CN']).toBe('全天平均在站 0.4 人，座位利用率 3%');
    expect(dailyReason(f(null, 12)).en).toBe('No data from open hours in the range');
  });
});

describe('zone', () => {
  it('finds the offset, the local-day GROUP BY offset, the hour of week and local midnight', () => {
    expect(utcOffsetMin('Asia/Shanghai', Date.UTC(2026, 0, 1))).toBe(480);
    expect(utcOffsetMin('UTC', 0)).toBe(0);
    expect(utcOffsetMin('America/New_York', Date.UTC(2026, 6, 1))).toBe(-240);
    expect(dayOffset('Asia/Shanghai')).toBe('-480m');
    expect(dayOffset('America/New_York', Date.UTC(2026, 0, 1))).toBe('300m');
    // 2026-06-01 is a Monday; 23:30 UTC on the Sunday is Monday 07:30 in UTC+8.
    expect(hourOfWeek(Date.UTC(2026, 4, 31, 23, 30), 480)).toEqual({ dow: 0, hour: 7 });
    expect(hourOfWeek(Date.UTC(2026, 4, 31, 15, 59), 480)).toEqual({ dow: 6, hour: 23 });
    expect(localMidnight('2026-06-01', 'Asia/Shanghai')).toBe(Date.UTC(2026, 4, 31, 16));
    expect(() => utcOffsetMin('Mars/Base', 0)).toThrow(RangeError);
  });
});
