/** The log throttle shared by broker and server: one line per key per interval, the rest counted. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LogThrottle } from '@yizhan/common/log-throttle';

/** The naive model: a Map kept in use order (delete + set when a line passes, oldest key evicted). */
class MapModel {
  readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    readonly intervalMs: number,
    readonly maxKeys: number,
  ) {}
  pass(key: string, t: number): number | undefined {
    const e = this.last.get(key);
    if (e && t - e.at < this.intervalMs) {
      e.suppressed++;
      return undefined;
    }
    this.last.delete(key);
    this.last.set(key, { at: t, suppressed: 0 });
    if (this.last.size > this.maxKeys) {
      const oldest = this.last.keys().next();
      if (!oldest.done) this.last.delete(oldest.value);
    }
    return e?.suppressed ?? 0;
  }
}

describe('LogThrottle', () => {
  // Each row: interval 1000 ms, at most 2 keys; calls as [time ms, key] and what each answers.
  it.each<[string, [number, string][], (number | undefined)[]]>([
    ['first line of a key passes', [[0, 'a']], [0]],
    [
      'repeats within the interval are held back',
      [
        [0, 'a'],
        [10, 'a'],
        [999, 'a'],
      ],
      [0, undefined, undefined],
    ],
    [
      'the next line after the interval reports what was held back',
      [
        [0, 'a'],
        [1, 'a'],
        [2, 'a'],
        [1000, 'a'],
      ],
      [0, undefined, undefined, 2],
    ],
    [
      'keys are throttled apart',
      [
        [0, 'a'],
        [1, 'b'],
        [2, 'a'],
        [3, 'b'],
      ],
      [0, 0, undefined, undefined],
    ],
    [
      'past maxKeys the least recently passed key is forgotten',
      [
        [0, 'a'],
        [1, 'b'],
        [2, 'c'],
        [3, 'a'],
        [4, 'c'],
      ],
      [0, 0, 0, 0, undefined],
    ],
    [
      'a held-back line does not make its key recent',
      [
        [0, 'a'],
        [1, 'b'],
        [2, 'a'],
        [3, 'c'],
        [4, 'a'],
      ],
      [0, 0, undefined, 0, 0],
    ],
  ])('%s', (_name, calls, want) => {
    let now = 0;
    const t = new LogThrottle(1000, 2, () => now);
    const got = calls.map(([at, key]) => {
      now = at;
      return t.pass(key);
    });
    expect(got).toEqual(want);
  });

  it('answers as the naive Map model does, for any calls', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 400 })), {
          maxLength: 3000,
        }),
        (maxKeys, calls) => {
          let now = 0;
          const t = new LogThrottle(1000, maxKeys, () => now);
          const m = new MapModel(1000, maxKeys);
          for (const [k, dt] of calls) {
            now += dt;
            expect(t.pass(`k${k}`)).toBe(m.pass(`k${k}`, now));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
