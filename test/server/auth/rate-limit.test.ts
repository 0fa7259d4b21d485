/** Token buckets of the login limits: a burst, refill over time, Retry-After, a bounded key map. */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../server/src/auth/rate-limit.js';

describe('RateLimiter', () => {
  it('allows the burst, then says how long to wait, and refills with time', () => {
    const r = new RateLimiter({ capacity: 5, perMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 5; i++) expect(r.take('a', 0)).toEqual({ ok: true });
    expect(r.take('a', 0)).toEqual({ ok: false, retryAfterMs: 12_000 });
    expect(r.take('b', 0)).toEqual({ ok: true }); // keys are independent
    expect(r.take('a', 11_999).ok).toBe(false);
    expect(r.take('a', 24_000)).toEqual({ ok: true });
  });

  it('forgets the least recently used key past maxKeys (a flood of made-up logins stays bounded)', () => {
    const r = new RateLimiter({ capacity: 1, perMs: 60_000, maxKeys: 3 });
    r.take('kept', 0);
    for (let i = 0; i < 1000; i++) {
      r.take(`flood-${i}`, 0);
      if (i % 2 === 0) expect(r.take('kept', 0).ok).toBe(false); // used often: never forgotten
    }
    expect(r.size).toBe(3);
  });
});
