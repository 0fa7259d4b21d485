import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  HOUR_MS,
  SAMPLES_PER_HOUR,
  busiestCell,
  byUse,
  expectedCell,
  extrapolateToYear,
  foldHeatmap,
  hourFigures,
  hourOfWeek,
  line,
  localMidnight,
  median,
  rawReading,
  stationShape,
  sumHours,
  weekUse,
} from '../../bench/planning-lib.js';

/** Monday 2026-11-30 12:00 in Asia/Shanghai. */
const MONDAY_NOON = Date.parse('2026-11-30T12:00:00+08:00');

describe('bench:planning helpers', () => {
  it('hour of week is in the county zone: Monday = 0, Sunday 23:00 = (6, 23)', () => {
    expect(hourOfWeek(MONDAY_NOON)).toEqual({ dow: 0, hour: 12 });
    expect(hourOfWeek(Date.parse('2026-11-29T23:30:00+08:00'))).toEqual({ dow: 6, hour: 23 });
    // UTC midnight of a Monday is 08:00 there.
    expect(hourOfWeek(Date.parse('2026-11-30T00:00:00Z'))).toEqual({ dow: 0, hour: 8 });
    expect(localMidnight(MONDAY_NOON)).toBe(Date.parse('2026-11-30T00:00:00+08:00'));
  });

  it('folds hourly rows into 168 cells, sample-weighted; a cell without samples is null', () => {
    const cells = foldHeatmap([
      { time: MONDAY_NOON, value: 10, samples: 100 },
      { time: MONDAY_NOON + 7 * DAY_MS, value: 4, samples: 300 },
      { time: MONDAY_NOON + HOUR_MS, value: 99, samples: 0 },
      { time: MONDAY_NOON + 2 * HOUR_MS, value: null, samples: 5 },
    ]);
    expect(cells).toHaveLength(168);
    expect(cells[12]).toEqual({ dow: 0, hour: 12, value: 5.5, samples: 400 });
    expect(cells[13]?.value).toBeNull();
    expect(cells[14]?.value).toBeNull();
    expect(busiestCell(cells)).toEqual(cells[12]);
    expect(busiestCell(foldHeatmap([]))).toBeUndefined();
  });

  it('the pattern peaks at 12:00 on weekdays, weekends at 60 %, and the busiest station is fullest', () => {
    const hours = Array.from({ length: 24 }, (_, h) => weekUse(2, h));
    expect(hours.indexOf(Math.max(...hours))).toBe(12);
    expect(weekUse(5, 12)).toBeCloseTo(0.6 * weekUse(0, 12), 10);
    const n = 1000;
    const shapes = Array.from({ length: n }, (_, i) => stationShape(i, n));
    const b = shapes.map((s) => s.busyness);
    expect(Math.min(...b)).toBeCloseTo(0.3, 10);
    expect(new Set(b).size).toBe(n);
    const top = shapes[b.indexOf(Math.max(...b))]!;
    const f = hourFigures(top, MONDAY_NOON);
    expect(f.fullShare).toBeGreaterThan(0);
    expect(f.fullShare).toBeLessThanOrEqual(f.nearFullShare);
    expect(f.nearFullShare).toBeLessThanOrEqual(1);
    expect(f.occupancyMean).toBeLessThanOrEqual(top.seats);
    expect(hourFigures(top, MONDAY_NOON - 9 * HOUR_MS).fullShare).toBe(0); // 03:00
  });

  it('a day is its hours: counts summed, shares and means weighted by samples', () => {
    const s = stationShape(7, 100);
    const a = { ...hourFigures(s, MONDAY_NOON), samples: 100, fullShare: 0.5, sessions: 3 };
    const b = { ...hourFigures(s, MONDAY_NOON), samples: 300, fullShare: 0.1, sessions: 4 };
    const d = sumHours([a, b]);
    expect(d.samples).toBe(400);
    expect(d.sessions).toBe(7);
    expect(d.fullShare).toBeCloseTo(0.2, 10);
  });

  it('raw readings of an hour give back its shares and mean occupancy', () => {
    const s = stationShape(3, 10);
    const f = hourFigures(s, MONDAY_NOON);
    const rs = Array.from({ length: SAMPLES_PER_HOUR }, (_, k) => rawReading(s, f, k));
    const mean = (k: string) => rs.reduce((t, r) => t + r[k]!, 0) / rs.length;
    expect(Math.abs(mean('full') - f.fullShare)).toBeLessThanOrEqual(1 / SAMPLES_PER_HOUR);
    expect(Math.abs(mean('near_full') - f.nearFullShare)).toBeLessThanOrEqual(1 / SAMPLES_PER_HOUR);
    expect(Math.abs(mean('occupancy') - f.occupancyMean)).toBeLessThan(1);
  });

  it('line protocol: tags escaped, floats without the integer suffix, seconds', () => {
    expect(
      line(
        'station_use_1d',
        { station: 'st 1', township: 'a,b' },
        { samples: 8640, full_share: 0.123456 },
        1_700_000_000_400,
      ),
    ).toBe('station_use_1d,station=st\\ 1,township=a\\,b samples=8640,full_share=0.1235 1700000000');
  });

  it('ranking order: nearFullShare, then occupancyMean, then id', () => {
    const rows = [
      { station: 'st-3', nearFullShare: 0.2, occupancyMean: 1 },
      { station: 'st-2', nearFullShare: 0.5, occupancyMean: 1 },
      { station: 'st-1', nearFullShare: 0.2, occupancyMean: 1 },
      { station: 'st-4', nearFullShare: 0.2, occupancyMean: 9 },
    ];
    expect(rows.sort(byUse).map((r) => r.station)).toEqual(['st-2', 'st-4', 'st-1', 'st-3']);
  });

  it('the expected county cell is the mean over every station of that hour of the week', () => {
    const n = 4;
    const from = localMidnight(MONDAY_NOON);
    const want =
      [0, 1, 2, 3].reduce((t, i) => t + hourFigures(stationShape(i, n), MONDAY_NOON).occupancyMean, 0) / n;
    expect(expectedCell(n, from, from + DAY_MS, 0, 12)).toBeCloseTo(want, 10);
    expect(expectedCell(n, from, from + DAY_MS, 1, 12)).toBeNaN();
  });

  it('extrapolation to a year scales by stations and by time; median of timings', () => {
    expect(extrapolateToYear(100, 1000, DAY_MS, 10_000)).toBe(365_000);
    expect(extrapolateToYear(50, 10_000, HOUR_MS, 10_000)).toBe(438_000);
    expect(median([30, 10, 20])).toBe(20);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(median([])).toBe(0);
  });
});
