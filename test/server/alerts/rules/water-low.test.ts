/**
 * water_low on station time: below 15 % for 2 min fires, above 25 % for 5 min resolves (the schema
 * defaults), the water_empty fault fires at once as critical, replays do nothing.
 */
import { describe, expect, it } from 'vitest';
import { waterLowRule } from '../../../../server/src/alerts/rules/water-low.js';
import { fault, MIN, runRule, series, T, transitions } from './sensor-rules.js';

const level = (steps: [number, number][], historical = false) =>
  series('water-level', 'water_level', steps, historical);

describe('water_low', () => {
  const cases = [
    {
      name: 'under 15 % for 2 min → fires',
      messages: level([
        [0, 14],
        [1, 12],
        [2, 10],
      ]),
      want: ['firing'],
    },
    {
      name: 'under 15 % for 1 min only → nothing',
      messages: level([
        [0, 14],
        [1, 12],
        [1.5, 30],
      ]),
      want: [],
    },
    {
      name: 'hovering 14/16 % around the threshold → nothing (each dip shorter than the hold)',
      messages: level([
        [0, 14],
        [1, 16],
        [2, 14],
        [3, 16],
        [4, 14],
        [5, 16],
        [6, 14],
        [7, 16],
      ]),
      want: [],
    },
    {
      name: 'firing, level between 15 and 25 % → keeps firing (hysteresis)',
      messages: level([
        [0, 10],
        [2, 10],
        [3, 20],
        [10, 24],
        [20, 20],
      ]),
      want: ['firing'],
    },
    {
      name: 'firing, above 25 % for 5 min → resolves',
      messages: level([
        [0, 10],
        [2, 10],
        [3, 30],
        [6, 40],
        [8, 60],
      ]),
      want: ['firing', 'resolved'],
    },
    {
      name: 'firing, above 25 % for 4 min then a dip → keeps firing',
      messages: level([
        [0, 10],
        [2, 10],
        [3, 30],
        [7, 30],
        [7.5, 20],
        [11, 30],
      ]),
      want: ['firing'],
    },
    {
      name: 'replayed (historical) low levels → nothing',
      messages: level(
        [
          [0, 5],
          [10, 5],
        ],
        true,
      ),
      want: [],
    },
    {
      name: 'water_empty fault → fires at once; cleared and refilled for 5 min → resolves',
      messages: [
        [fault(0, 'water-level', 'water_empty', true)],
        [fault(1, 'water-level', 'water_empty', false)],
        ...level([
          [1, 80],
          [6, 80],
        ]),
      ],
      want: ['firing', 'resolved'],
    },
    {
      name: 'water_empty cleared while the level is still low → keeps firing',
      messages: [
        [fault(0, 'water-level', 'water_empty', true)],
        [fault(1, 'water-level', 'water_empty', false)],
        ...level([
          [2, 3],
          [20, 3],
        ]),
      ],
      want: ['firing'],
    },
  ];
  it.each(cases)('$name', ({ messages, want }) => {
    expect(transitions(runRule(waterLowRule(), messages).events)).toEqual(want);
  });

  it('fire and resolve texts: station name and level; startsAt when the level went low; fault is critical', () => {
    const { events } = runRule(
      waterLowRule(),
      level([
        [0, 12],
        [2, 11],
        [3, 30],
        [8, 30],
      ]),
    );
    const [fired, resolved] = events;
    expect(fired).toMatchObject({
      rule: 'water_low',
      severity: 'warning',
      startsAt: new Date(T).toISOString(),
      evidence: { cause: 'level', levelPct: 11, belowPct: 15 },
    });
    expect(fired?.message['zh-CN']).toBe('测试001号驿站：开水器水位过低：11%（低于 15%）');
    expect(fired?.message.en).toContain('Test Station 001: hot-water tank low: 11 %');
    expect(resolved?.endsAt).toBe(new Date(T + 8 * MIN).toISOString());
    expect(resolved?.resolvedMessage?.['zh-CN']).toContain('水位已恢复至 30%');
    const empty = runRule(waterLowRule(), [[fault(0, 'water-level', 'water_empty', true)]]).events[0];
    expect(empty).toMatchObject({ severity: 'critical', evidence: { cause: 'fault', fault: 'water_empty' } });
    expect(empty?.message['zh-CN']).toContain('水箱已空');
  });

  it('thresholds come from alert-rules (per station), and enabled: false silences the rule', () => {
    const overrides = { water_low: { below: 40, for: '0s' } };
    expect(transitions(runRule(waterLowRule(), level([[0, 35]]), { overrides }).events)).toEqual(['firing']);
    const off = { water_low: { enabled: false } };
    expect(
      transitions(
        runRule(
          waterLowRule(),
          level([
            [0, 5],
            [10, 5],
          ]),
          { overrides: off },
        ).events,
      ),
    ).toEqual([]);
  });

  it('an alert adopted from the store after a restart resolves when refilled, and does not fire again', () => {
    const { engine, events } = runRule(waterLowRule(), []);
    const fired = runRule(
      waterLowRule(),
      level([
        [0, 10],
        [2, 10],
      ]),
    ).events[0];
    expect(fired).toBeDefined();
    engine.adopt([fired!]);
    for (const m of level([
      [3, 10],
      [4, 30],
      [9, 30],
    ]))
      engine.observe('st-001', m);
    expect(transitions(events)).toEqual(['resolved']);
    expect(events[0]?.id).toBe(fired?.id);
  });
});
