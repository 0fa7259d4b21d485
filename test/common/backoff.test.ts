/** The one backoff: waits grow by `factor` from `initialMs` to `maxMs`, jitter takes a random share, reset starts over. */
import { describe, expect, it } from 'vitest';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from '@yizhan/common/backoff';

describe('Backoff', () => {
  it.each<[string, Partial<BackoffOptions>, number, number[]]>([
    [
      'doubles to the cap without jitter',
      { initialMs: 1000, maxMs: 10_000, jitter: 0 },
      0.7,
      [1000, 2000, 4000, 8000, 10_000, 10_000],
    ],
    [
      'equal jitter 0.5 at the top of the random range halves each wait',
      { initialMs: 1000, maxMs: 10_000, jitter: 0.5 },
      1,
      [500, 1000, 2000, 4000, 5000, 5000],
    ],
    [
      'jitter 0.5 with random 0 keeps the full wait',
      { initialMs: 1000, maxMs: 10_000, jitter: 0.5 },
      0,
      [1000, 2000, 4000, 8000, 10_000, 10_000],
    ],
    [
      'jitter 1 can take the whole wait',
      { initialMs: 1000, maxMs: 10_000, jitter: 1 },
      1,
      [0, 0, 0, 0, 0, 0],
    ],
    ['factor 3', { initialMs: 100, maxMs: 5000, factor: 3, jitter: 0 }, 0, [100, 300, 900, 2700, 5000, 5000]],
    [
      'factor 1 is a fixed wait',
      { initialMs: 1500, maxMs: 1500, factor: 1, jitter: 0 },
      0,
      [1500, 1500, 1500, 1500, 1500, 1500],
    ],
    [
      'jitter outside 0..1 is clamped',
      { initialMs: 100, maxMs: 100, jitter: 7 },
      0.25,
      [75, 75, 75, 75, 75, 75],
    ],
    ['defaults: 1 s doubling to 60 s', {}, 0, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]],
  ])('%s', (_name, opts, random, want) => {
    const b = new Backoff(opts, () => random);
    expect(want.map(() => b.next())).toEqual(want);
    expect(b.attempts).toBe(want.length);
  });

  it('starts over at initialMs after reset', () => {
    const b = new Backoff({ initialMs: 50, maxMs: 1000, jitter: 0 });
    expect([b.next(), b.next(), b.next()]).toEqual([50, 100, 200]);
    b.reset();
    expect(b.attempts).toBe(0);
    expect([b.next(), b.next()]).toEqual([50, 100]);
  });

  it('stays at the cap after many attempts (no overflow to Infinity or NaN)', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: 0 });
    let last = 0;
    for (let i = 0; i < 10_000; i++) last = b.next();
    expect(last).toBe(60_000);
  });

  it('with jitter 0.5 every wait lies between half and the full delay', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 100, jitter: 0.5 });
    for (let i = 0; i < 1000; i++) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(50);
      expect(d).toBeLessThanOrEqual(100);
    }
  });

  it('DEFAULT_BACKOFF cannot be changed by a user', () => {
    expect(Object.isFrozen(DEFAULT_BACKOFF)).toBe(true);
  });
});
