/**
 * Opening hours as the screen sees them: open or closed at a moment (China Standard Time) and when
 * that changes; HoursTimer re-announces a station exactly when it opens or closes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openState, parseOpeningHours } from '@yizhan/station-config/hours';
import { HoursTimer } from '../../server/src/state/hours-timer.js';
import { StationRegistry } from '../../server/src/registry.js';
import { stationFixture } from './helpers.js';

/** Unix ms of a China Standard Time wall clock on 2026-12-01. */
const cst = (h: number, m = 0) => Date.UTC(2026, 11, 1, h - 8, m);

describe('openState', () => {
  it('07:00-21:00: closed before, open inside, closed after; next change is the next boundary', () => {
    const h = parseOpeningHours('07:00-21:00');
    expect(openState(h, cst(6, 30))).toEqual({ open: false, nextChange: cst(7) });
    expect(openState(h, cst(7))).toEqual({ open: true, nextChange: cst(21) });
    expect(openState(h, cst(21))).toEqual({ open: false, nextChange: cst(24 + 7) });
  });
  it('22:00-06:00 crosses midnight', () => {
    const h = parseOpeningHours('22:00-06:00');
    expect(openState(h, cst(23))).toEqual({ open: true, nextChange: cst(24 + 6) });
    expect(openState(h, cst(12))).toEqual({ open: false, nextChange: cst(22) });
  });
  it('00:00-24:00 is always open, with no next change', () => {
    expect(openState(parseOpeningHours('00:00-24:00'), cst(3))).toEqual({ open: true, nextChange: null });
  });
});

describe('HoursTimer', () => {
  afterEach(() => vi.useRealTimers());

  it('announces a station when it closes and when it opens, not in between', () => {
    vi.useFakeTimers({ now: cst(20, 58) });
    const registry = new StationRegistry([
      { ...stationFixture('st-001'), hours: '07:00-21:00' },
      stationFixture('st-002'), // always open
    ]);
    const seen: string[] = [];
    const timer = new HoursTimer(registry, (id) => seen.push(`${id}@${new Date(Date.now()).toISOString()}`));
    timer.start();
    vi.advanceTimersByTime(60_000);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(2 * 60_000);
    expect(seen).toEqual([`st-001@${new Date(cst(21) + 5).toISOString()}`]);
    vi.advanceTimersByTime(10 * 3_600_000);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(`st-001@${new Date(cst(24 + 7) + 5).toISOString()}`);
    timer.stop();
  });
});
