/**
 * occupancy_stuck on station time: the same count for 6 h with at least 3 h of it inside the busy
 * hours 07:00-21:00 fires; a change resolves (the schema defaults). T is 06:13 China Standard Time.
 */
import { describe, expect, it } from 'vitest';
import { busyOverlapMs, occupancyStuckRule } from '../../../../server/src/alerts/rules/occupancy-stuck.js';
import { parseOpeningHours } from '@yizhan/station-config/hours';
import { HOUR, MIN, runRule, series, T, transitions } from './sensor-rules.js';

/** Readings of the count every 10 min from `fromMin` to `toMin`: [minute, count]. */
function count(fromMin: number, toMin: number, value: (m: number) => number, historical = false) {
  const steps: [number, number][] = [];
  for (let m = fromMin; m <= toMin; m += 10) steps.push([m, value(m)]);
  if (steps.at(-1)?.[0] !== toMin) steps.push([toMin, value(toMin)]);
  return series('occupancy', 'occupancy', steps, historical);
}

describe('occupancy_stuck', () => {
  const cases = [
    {
      name: '3 people from 07:13 to 13:13 (6 h, all busy) → fires',
      messages: count(60, 420, () => 3),
      want: ['firing occupancy'],
    },
    { name: '3 people from 07:13 to 13:03 → nothing', messages: count(60, 410, () => 3), want: [] },
    {
      name: '0 people from 22:13 to 09:53 (11 h, 2 h 53 min busy) → nothing: empty at night is normal',
      messages: count(-480, 220, () => 0),
      want: [],
    },
    {
      name: '0 people from 22:13 to 10:13 (3 h busy) → fires',
      messages: count(-480, 240, () => 0),
      want: ['firing occupancy'],
    },
    {
      name: 'a count that changes every hour → nothing',
      messages: count(0, 24 * 60, (m) => Math.floor(m / 60) % 3),
      want: [],
    },
    {
      name: 'stuck, then the count changes → resolves at once',
      messages: [...count(60, 420, () => 3), ...series('occupancy', 'occupancy', [[430, 4]])],
      want: ['firing occupancy', 'resolved occupancy'],
    },
    {
      name: 'replayed (historical) frozen count → nothing',
      messages: count(60, 600, () => 3, true),
      want: [],
    },
  ];
  it.each(cases)('$name', ({ messages, want }) => {
    expect(transitions(runRule(occupancyStuckRule(), messages).events)).toEqual(want);
  });

  it('startsAt is when the count last changed; the text gives the count, the span and the busy part', () => {
    const { events } = runRule(
      occupancyStuckRule(),
      count(60, 420, () => 3),
    );
    expect(events[0]).toMatchObject({
      rule: 'occupancy_stuck',
      severity: 'info',
      startsAt: new Date(T + 60 * MIN).toISOString(),
      evidence: { count: 3, unchangedForMs: 6 * HOUR, busyMs: 6 * HOUR, busyHours: '07:00-21:00' },
    });
    expect(events[0]?.message['zh-CN']).toBe(
      '测试001号驿站：在站人数已 6 小时停在 3 人（含繁忙时段 07:00-21:00 内 6 小时），人数计数器可能故障',
    );
  });

  it('busyOverlapMs: counts the busy part of a span, windows across midnight included', () => {
    const day = parseOpeningHours('07:00-21:00');
    // T = 06:13:20 local: from T to T+2h, 07:00..08:13:20 is busy.
    expect(busyOverlapMs(day, T, T + 2 * HOUR)).toBe(73 * MIN + 20_000);
    expect(busyOverlapMs(day, T, T + 24 * HOUR)).toBe(14 * HOUR);
    const night = parseOpeningHours('22:00-06:00');
    expect(busyOverlapMs(night, T, T + 2 * HOUR)).toBe(0);
    expect(busyOverlapMs(night, T - 3 * HOUR, T)).toBe(2 * HOUR + 46 * MIN + 40_000); // 03:13:20..06:00
    expect(busyOverlapMs(parseOpeningHours('00:00-24:00'), T, T + HOUR)).toBe(HOUR);
  });
});
