/**
 * Flapping damping, on station time: the 7th change of one alert within the window fires it
 * flapping (announced once), the engine then holds it firing through the rule's flips, and it
 * resolves once the condition stayed clear a whole window, or when a person reviews it.
 */
import { describe, expect, it } from 'vitest';
import { stationFixture } from '../../helpers/station.js';
import { MIN, T0, switchReading, switchRule, testEngine } from './engine-fixtures.js';

const RULE = 'door_stuck_open';
const st = stationFixture('st-001');

/** Feed 0/1 readings at these minutes (alternating from 1). */
function flips(minutes: number[]) {
  const t = testEngine([st], [switchRule(RULE)]);
  minutes.forEach((m, i) => t.engine.observe(st.id, switchReading(RULE, i % 2 === 0 ? 1 : 0, T0 + m * MIN)));
  return t;
}

describe('flapping damping (6 changes in 1 h, the defaults)', () => {
  it('7 flips in an hour: one flapping alert, held through later flips, resolved after a clear window', () => {
    const t = flips([0, 5, 10, 15, 20, 25, 30, 35, 40, 45]);
    // Six ordinary changes, then the 7th (a fire) is flapping; the flips at 35, 40, 45 are absorbed.
    expect(t.events.map((a) => `${a.status}${a.flapping ? '/flapping' : ''}`)).toEqual([
      'firing', 'resolved', 'firing', 'resolved', 'firing', 'resolved', 'firing/flapping',
    ]);
    expect(t.engine.list('firing')).toHaveLength(1);
    // Clear since 45 min: still held at 104 min, resolved by an observation at 105 min.
    t.engine.observe(st.id, switchReading(RULE, 0, T0 + 104 * MIN));
    expect(t.events).toHaveLength(7);
    t.engine.observe(st.id, switchReading(RULE, 0, T0 + 105 * MIN));
    const last = t.events.at(-1);
    expect(last).toMatchObject({ status: 'resolved', flapping: true, endsAt: new Date(T0 + 105 * MIN).toISOString() });
    expect(last?.resolvedMessage).toEqual({ 'zh-CN': '已不再抖动', en: 'no longer flapping' });
    expect(t.engine.list('firing')).toHaveLength(0);
  });

  it('6 flips in an hour, or 7 spread over more than an hour, are not flapping', () => {
    expect(flips([0, 5, 10, 15, 20, 25]).events.some((a) => a.flapping)).toBe(false);
    expect(flips([0, 11, 22, 33, 44, 55, 66]).events.some((a) => a.flapping)).toBe(false);
  });

  it('a flip back to bad restarts the clear window', () => {
    const t = flips([0, 5, 10, 15, 20, 25, 30, 35, 80, 90]);
    t.engine.observe(st.id, switchReading(RULE, 0, T0 + 149 * MIN));
    expect(t.engine.list('firing')).toHaveLength(1);
    t.engine.observe(st.id, switchReading(RULE, 0, T0 + 150 * MIN));
    expect(t.engine.list('firing')).toHaveLength(0);
  });

  it('review: resolves a held alert whose condition is clear; one still bad keeps firing; unknown → false', () => {
    const clear = flips([0, 5, 10, 15, 20, 25, 30, 35]);
    const fp = `${RULE}/${st.id}`;
    expect(clear.engine.review(fp, T0 + 40 * MIN)).toBe(true);
    expect(clear.events.at(-1)?.resolvedMessage?.en).toBe('reviewed by a person');
    expect(clear.engine.review(fp)).toBe(false);

    const bad = flips([0, 5, 10, 15, 20, 25, 30]);
    expect(bad.engine.review(fp)).toBe(true);
    expect(bad.engine.list('firing')).toHaveLength(1);
    // No longer held: the rule's next resolve is an ordinary one.
    bad.engine.observe(st.id, switchReading(RULE, 0, T0 + 40 * MIN));
    expect(bad.events.at(-1)).toMatchObject({ status: 'resolved', resolvedMessage: { en: 'ok' } });
  });
});
