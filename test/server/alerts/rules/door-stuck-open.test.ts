/**
 * door_stuck_open on station time: 10 min outside opening hours, 2 h inside (the schema defaults),
 * the controller's door_stuck at once, closed for 1 min resolves, replays do nothing.
 * T is 06:13 China Standard Time: outside hours of a station open 07:00-21:00.
 */
import { describe, expect, it } from 'vitest';
import { doorStuckOpenRule } from '../../../../server/src/alerts/rules/door-stuck-open.js';
import { stationFixture } from '../../../helpers/station.js';
import { fault, MIN, reading, runRule, series, T, transitions } from './sensor-rules.js';

const door = (steps: [number, number][], historical = false) => series('door', 'door', steps, historical);
const dayStation = stationFixture('st-001', { hours: '07:00-21:00' });
const alwaysOpen = stationFixture('st-002', { hours: '00:00-24:00' });

describe('door_stuck_open', () => {
  const cases = [
    {
      name: 'closed station, open 10 min → fires',
      station: dayStation,
      messages: door([
        [0, 1],
        [5, 1],
        [10, 1],
      ]),
      want: ['firing door'],
    },
    {
      name: 'closed station, open 9 min → nothing',
      station: dayStation,
      messages: door([
        [0, 1],
        [5, 1],
        [9, 1],
        [9.5, 0],
      ]),
      want: [],
    },
    {
      name: 'open station, open 1 h → nothing (riders come and go)',
      station: alwaysOpen,
      messages: door([
        [0, 1],
        [30, 1],
        [60, 1],
      ]),
      want: [],
    },
    {
      name: 'open station, open 2 h → fires',
      station: alwaysOpen,
      messages: door([
        [0, 1],
        [60, 1],
        [120, 1],
      ]),
      want: ['firing door'],
    },
    {
      name: 'station open 07:00-21:00, open 1 h at 08:13 → nothing (inside hours)',
      station: dayStation,
      messages: door([
        [120, 1],
        [150, 1],
        [180, 1],
      ]),
      want: [],
    },
    {
      name: 'opening and closing every minute → nothing',
      station: dayStation,
      messages: door(Array.from({ length: 40 }, (_, i): [number, number] => [i, i % 2])),
      want: [],
    },
    {
      name: 'firing, closed 1 min → resolves',
      station: dayStation,
      messages: door([
        [0, 1],
        [10, 1],
        [11, 0],
        [12, 0],
      ]),
      want: ['firing door', 'resolved door'],
    },
    {
      name: 'firing, closed 30 s then open again → keeps firing',
      station: dayStation,
      messages: door([
        [0, 1],
        [10, 1],
        [11, 0],
        [11.5, 1],
        [12, 1],
        [12.5, 0],
      ]),
      want: ['firing door'],
    },
    {
      name: 'door_stuck fault → fires at once; cleared and closed for 1 min → resolves',
      station: alwaysOpen,
      messages: [
        [fault(0, 'door', 'door_stuck', true)],
        [fault(1, 'door', 'door_stuck', false), reading(1, 'door', 'door', 0)],
        ...door([[2, 0]]),
      ],
      want: ['firing door', 'resolved door'],
    },
    {
      name: 'replayed (historical) open door → nothing',
      station: dayStation,
      messages: door(
        [
          [0, 1],
          [60, 1],
        ],
        true,
      ),
      want: [],
    },
  ];
  it.each(cases)('$name', ({ station, messages, want }) => {
    expect(transitions(runRule(doorStuckOpenRule(), messages, { station }).events)).toEqual(want);
  });

  it('texts name the station, the door and how long; evidence says outside hours', () => {
    const { events } = runRule(
      doorStuckOpenRule(),
      door([
        [0, 1],
        [12, 1],
      ]),
      { station: dayStation },
    );
    expect(events[0]).toMatchObject({
      rule: 'door_stuck_open',
      severity: 'warning',
      startsAt: new Date(T).toISOString(),
      evidence: { cause: 'open', sensor: 'door', insideHours: false, hours: '07:00-21:00', holdMs: 10 * MIN },
    });
    expect(events[0]?.message['zh-CN']).toBe('测试001号驿站：door已开启 12 分钟（非营业时间，超过 10 分钟）');
    expect(events[0]?.message.en).toBe(
      'Test Station 001: door open for 12 min (outside opening hours, over 10 min)',
    );
  });
});
