/** The crew pages' pure helpers (web/src/format.ts): what a crew reads as durations, ages and steps. */
import { describe, expect, it } from 'vitest';
import {
  cstInputValue,
  formatAgo,
  formatCst,
  formatDuration,
  monthRange,
  parseCstInput,
  quickSilenceEnd,
  workOrderSteps,
} from '../../web/src/format.js';

const MIN = 60_000;
const H = 60 * MIN;

describe('formatDuration', () => {
  it('says a duration in its two largest units, in Chinese and English', () => {
    expect(formatDuration(3 * H + 25 * MIN + 59_000, 'zh-CN')).toBe('3小时25分钟');
    expect(formatDuration(3 * H + 25 * MIN, 'en')).toBe('3 h 25 min');
    expect(formatDuration(2 * 24 * H + 5 * MIN, 'zh-CN')).toBe('2天');
    expect(formatDuration(90_000, 'zh-CN')).toBe('1分钟30秒');
    expect(formatDuration(45_000, 'en')).toBe('45 s');
    expect(formatDuration(400, 'zh-CN')).toBe('0秒');
  });
  it('shows a dash for no value or a negative one', () => {
    expect(formatDuration(null, 'zh-CN')).toBe('—');
    expect(formatDuration(-5, 'en')).toBe('—');
    expect(formatDuration(Number.NaN, 'en')).toBe('—');
  });
});

describe('formatAgo', () => {
  const now = Date.parse('2026-12-02T08:00:00Z');
  it('says how long ago, from Unix ms or RFC 3339', () => {
    expect(formatAgo(now - 25 * MIN, now, 'zh-CN')).toBe('25分钟前');
    expect(formatAgo('2026-12-02T05:30:00Z', now, 'en')).toBe('2 h 30 min ago');
    expect(formatAgo(now - 10_000, now, 'zh-CN')).toBe('刚刚');
    expect(formatAgo('not a time', now, 'zh-CN')).toBe('—');
  });
});

describe('quickSilenceEnd', () => {
  it('ends in 1 h, 4 h, or tomorrow at 08:00 local time', () => {
    const now = new Date(2026, 11, 2, 22, 15).getTime();
    expect(quickSilenceEnd('1h', now) - now).toBe(H);
    expect(quickSilenceEnd('4h', now) - now).toBe(4 * H);
    expect(new Date(quickSilenceEnd('tomorrow8', now))).toEqual(new Date(2026, 11, 3, 8, 0));
    // Just after midnight "tomorrow" is still the next calendar day.
    const late = new Date(2026, 11, 31, 0, 30).getTime();
    expect(new Date(quickSilenceEnd('tomorrow8', late))).toEqual(new Date(2027, 0, 1, 8, 0));
  });
});

describe('workOrderSteps', () => {
  it('marks the steps before the state done and the state current', () => {
    expect(workOrderSteps('fixed').map((s) => `${s.step}:${s.at}`)).toEqual([
      'open:done',
      'in_progress:done',
      'fixed:now',
      'verified:todo',
      'closed:todo',
    ]);
  });
});

describe('monthRange', () => {
  it('gives the first and last day of the month, February of a leap year too', () => {
    expect(monthRange('2028-02')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
    expect(monthRange('2026-12')).toEqual({ from: '2026-12-01', to: '2026-12-31' });
  });
});

describe('China Standard Time inputs (notices)', () => {
  // 2026-12-02 18:00 in Beijing is 10:00 UTC, whatever zone the test machine runs in.
  const sixPmBeijing = Date.UTC(2026, 11, 2, 10, 0);
  it('writes and reads a time as the county clock says it, not the browser zone', () => {
    expect(cstInputValue(sixPmBeijing)).toBe('2026-12-02T18:00');
    expect(parseCstInput('2026-12-02T18:00')).toBe(sixPmBeijing);
    expect(formatCst(sixPmBeijing)).toBe('2026-12-02 18:00');
  });
  it('crosses midnight into the next Beijing day', () => {
    expect(cstInputValue(Date.UTC(2026, 11, 31, 16, 30))).toBe('2027-01-01T00:30');
    expect(parseCstInput('2027-01-01T00:30')).toBe(Date.UTC(2026, 11, 31, 16, 30));
  });
  it.each(['', '2026-12-02', '2026-02-30T10:00', '2026-12-02T24:00', '2026-12-02 18:00'])(
    'refuses %j',
    (v) => {
      expect(parseCstInput(v)).toBeNull();
    },
  );
});
