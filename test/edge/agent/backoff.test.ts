import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../edge/src/agent/backoff.js';
import { mulberry32 } from '../../../edge/src/simulator/prng.js';

describe('Backoff', () => {
  it.each([
    [0, [1000, 2000, 4000, 8000, 10_000, 10_000]],
    [1, [0, 0, 0, 0, 0, 0]],
  ])('grows exponentially to the cap (random=%d → jitter share taken)', (rnd, want) => {
    const b = new Backoff(
      { initialMs: 1000, maxMs: 10_000, factor: 2, jitter: rnd === 0 ? 0.5 : 1 },
      () => rnd,
    );
    expect(Array.from({ length: 6 }, () => b.next())).toEqual(want);
    b.reset();
    expect(b.attempts).toBe(0);
  });
  it('with jitter 0.5 stays within half and full delay', () => {
    const r = mulberry32(3);
    const b = new Backoff({ initialMs: 100, maxMs: 100, factor: 2, jitter: 0.5 }, r);
    for (let i = 0; i < 100; i++) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(50);
      expect(d).toBeLessThanOrEqual(100);
    }
  });
});
