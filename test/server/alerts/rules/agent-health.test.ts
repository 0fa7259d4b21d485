/**
 * agent_health from health reports, three keys: spool (depth ≥ 50 000 or oldest ≥ 1 h, for 2 min),
 * disk (writeErrors rising, at once), clock (skew over 2 min, for 2 min on the receive time); each
 * healthy for 5 min resolves (the schema defaults). Reports come every 30 s.
 */
import { describe, expect, it } from 'vitest';
import { agentHealthRule } from '../../../../server/src/alerts/rules/agent-health.js';
import type { Observation } from '../../../../server/src/state/observation.js';
import { health, MIN, runRule, T, transitions } from './sensor-rules.js';

const spool = (depth: number, oldestAgeMs: number | null = 0, writeErrors = 0) => ({
  depth,
  oldestAgeMs,
  dropped: 0,
  writeErrors,
});
/** Health every 30 s from `from` to `to` minutes, the spool from `at(minute)`. */
function reports(from: number, to: number, at: (m: number) => Parameters<typeof health>[1]): Observation[][] {
  const out: Observation[][] = [];
  for (let m = from; m <= to; m += 0.5) out.push([health(m, at(m))]);
  return out;
}

describe('agent_health', () => {
  const cases = [
    {
      name: 'spool 60 000 deep for 2 min → fires spool',
      messages: reports(0, 2, () => ({ spool: spool(60_000) })),
      want: ['firing spool'],
    },
    {
      name: 'spool 60 000 deep for 1.5 min → nothing',
      messages: reports(0, 1.5, () => ({ spool: spool(60_000) })),
      want: [],
    },
    {
      name: 'oldest spooled message 2 h old → fires spool',
      messages: reports(0, 2, () => ({ spool: spool(10, 2 * 60 * MIN) })),
      want: ['firing spool'],
    },
    {
      name: 'depth hovering around 50 000 (every other report) → nothing',
      messages: reports(0, 20, (m) => ({ spool: spool(m % 1 ? 49_000 : 51_000) })),
      want: [],
    },
    {
      name: 'spool drains: 5 min healthy → resolves',
      messages: [
        ...reports(0, 2, () => ({ spool: spool(60_000) })),
        ...reports(2.5, 7.5, () => ({ spool: spool(0) })),
      ],
      want: ['firing spool', 'resolved spool'],
    },
    {
      name: 'spool drains for 4 min, then deep again → keeps firing',
      messages: [
        ...reports(0, 2, () => ({ spool: spool(60_000) })),
        ...reports(2.5, 6, () => ({ spool: spool(0) })),
        ...reports(6.5, 12, () => ({ spool: spool(60_000) })),
      ],
      want: ['firing spool'],
    },
    {
      name: 'writeErrors 0 → 3 → fires disk at once; no new errors 5 min → resolves',
      messages: [
        [health(0, { spool: spool(0, 0, 0) })],
        ...reports(0.5, 6, () => ({ spool: spool(0, 0, 3) })),
      ],
      want: ['firing disk', 'resolved disk'],
    },
    {
      name: 'a new boot restarts writeErrors at 0: no rise',
      messages: [
        [health(0, { spool: spool(0, 0, 7) })],
        [health(0.5, { spool: spool(0, 0, 0), bootId: 'boot-2' })],
        [health(1, { spool: spool(0, 0, 0), bootId: 'boot-2' })],
      ],
      want: [],
    },
    {
      name: 'clock 5 min ahead for 2 min → fires clock',
      messages: reports(0, 2, (m) => ({ receivedAt: T + m * MIN - 5 * MIN })),
      want: ['firing clock'],
    },
    {
      name: 'clock 1 min behind → nothing',
      messages: reports(0, 10, (m) => ({ receivedAt: T + m * MIN + MIN })),
      want: [],
    },
    {
      name: 'a backlog of old reports delivered within seconds → nothing',
      messages: reports(0, 10, (m) => ({ receivedAt: T + 10 * MIN + m * 100 })),
      want: [],
    },
    {
      name: 'the three keys are independent: spool and clock fire, spool drains → only spool resolves',
      messages: [
        ...reports(0, 2, (m) => ({ spool: spool(60_000), receivedAt: T + m * MIN + 10 * MIN })),
        ...reports(2.5, 8, (m) => ({ spool: spool(0), receivedAt: T + m * MIN + 10 * MIN })),
      ],
      want: ['firing spool', 'firing clock', 'resolved spool'],
    },
  ];
  it.each(cases)('$name', ({ messages, want }) => {
    expect(transitions(runRule(agentHealthRule(), messages).events)).toEqual(want);
  });

  it('texts give the values and the limits', () => {
    const { events } = runRule(
      agentHealthRule(),
      reports(0, 2, (m) => ({ spool: spool(60_000, 30 * MIN), receivedAt: T + m * MIN - 5 * MIN })),
    );
    const [spoolAlert, clock] = events;
    expect(spoolAlert?.message['zh-CN']).toBe(
      '测试001号驿站：边缘代理缓存积压：60000 条，最早一条已 30 分钟未发出（上限 50000 条 / 1 小时）',
    );
    expect(spoolAlert?.evidence).toMatchObject({ depth: 60_000, oldestAgeMs: 30 * MIN });
    expect(clock?.message['zh-CN']).toBe(
      '测试001号驿站：边缘代理时钟快了 5 分钟（允许 2 分钟），数据时间不可信',
    );
    expect(clock?.evidence).toMatchObject({ skewMs: 5 * MIN });
  });
});
