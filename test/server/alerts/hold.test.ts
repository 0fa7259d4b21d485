import { describe, expect, it } from 'vitest';
import { Hold, type HoldChange } from '../../../server/src/alerts/hold.js';

/** [ts, bad, clear] → expected change, in order. */
type Step = [number, boolean, boolean, HoldChange];

const cases: { name: string; forMs: number; clearForMs: number; steps: Step[] }[] = [
  {
    name: 'fires only after the condition held forMs',
    forMs: 100,
    clearForMs: 0,
    steps: [
      [0, true, false, 'none'],
      [50, true, false, 'none'],
      [100, true, false, 'fire'],
      [150, true, false, 'none'],
    ],
  },
  {
    name: 'a break in the bad run starts the for-duration again',
    forMs: 100,
    clearForMs: 0,
    steps: [
      [0, true, false, 'none'],
      [90, false, false, 'none'],
      [100, true, false, 'none'],
      [190, true, false, 'none'],
      [200, true, false, 'fire'],
    ],
  },
  {
    name: 'hovering between the fire and clear thresholds neither resolves nor fires again',
    forMs: 0,
    clearForMs: 50,
    steps: [
      [0, true, false, 'fire'],
      [10, false, false, 'none'],
      [20, true, false, 'none'],
      [30, false, true, 'none'],
      [60, false, false, 'none'],
      [70, false, true, 'none'],
      [119, false, true, 'none'],
      [120, false, true, 'resolve'],
      [130, false, true, 'none'],
    ],
  },
  {
    name: 'an older reading is stale and changes nothing',
    forMs: 0,
    clearForMs: 0,
    steps: [
      [100, true, false, 'fire'],
      [50, false, true, 'stale'],
      [150, false, true, 'resolve'],
    ],
  },
];

describe('Hold', () => {
  it.each(cases)('$name', ({ forMs, clearForMs, steps }) => {
    const h = new Hold({ forMs, clearForMs });
    const got = steps.map(([ts, bad, clear]) => h.update(ts, bad, clear));
    expect(got).toEqual(steps.map((s) => s[3]));
  });

  it('reports since when the condition has been bad', () => {
    const h = new Hold({ forMs: 100, clearForMs: 0 });
    h.update(5, true, false);
    h.update(105, true, false);
    expect(h.firing).toBe(true);
    expect(h.since).toBe(5);
  });
});
