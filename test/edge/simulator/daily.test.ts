import { describe, expect, it } from 'vitest';
import { demandAt, isOpenAt, parseOpeningHours } from '../../../edge/src/simulator/daily.js';

describe('daily curve and opening hours', () => {
  it.each([
    ['07:00-22:00', 6 * 60 + 59, false],
    ['07:00-22:00', 7 * 60, true],
    ['07:00-22:00', 22 * 60, false],
    ['22:00-06:00', 23 * 60, true],
    ['22:00-06:00', 5 * 60, true],
    ['22:00-06:00', 12 * 60, false],
    ['00:00-24:00', 0, true],
  ] as const)('%s at minute %d open=%s', (hours, minute, open) => {
    expect(isOpenAt(parseOpeningHours(hours), minute)).toBe(open);
  });
  it('peaks at lunch and dinner, quiet at night', () => {
    expect(demandAt(12.25 * 60)).toBeGreaterThan(0.9);
    expect(demandAt(18.5 * 60)).toBeGreaterThan(0.8);
    expect(demandAt(3 * 60)).toBeLessThan(0.05);
    expect(demandAt(15.5 * 60)).toBeLessThan(0.3);
  });
});
