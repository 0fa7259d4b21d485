/** Bounded helpers: the redelivery set forgets the oldest keys, the log limiter counts what it held back. */
import { describe, expect, it } from 'vitest';
import { BoundedSeenSet, RateLimiter } from '../../server/src/util/bounded.js';

describe('BoundedSeenSet', () => {
  it('recognises a key seen before, and forgets the least recently used beyond capacity', () => {
    const s = new BoundedSeenSet(2);
    expect([s.checkAndAdd('a'), s.checkAndAdd('b'), s.checkAndAdd('a')]).toEqual([false, false, true]);
    expect(s.checkAndAdd('c')).toBe(false); // evicts b, the least recently used
    expect(s.size).toBe(2);
    expect(s.evicted).toBe(1);
    expect(s.checkAndAdd('a')).toBe(true);
    expect(s.checkAndAdd('b')).toBe(false);
  });
  it('refuses a capacity below 1', () => {
    expect(() => new BoundedSeenSet(0)).toThrow(RangeError);
  });
});

describe('RateLimiter', () => {
  it('allows once per interval per key and reports the suppressed count', () => {
    let now = 0;
    const r = new RateLimiter(1000, 10, () => now);
    expect(r.allow('st-001|schema')).toBe(0);
    expect(r.allow('st-001|schema')).toBeUndefined();
    expect(r.allow('st-001|schema')).toBeUndefined();
    expect(r.allow('st-002|schema')).toBe(0);
    now = 1000;
    expect(r.allow('st-001|schema')).toBe(2);
  });
  it('keeps at most maxKeys keys', () => {
    const r = new RateLimiter(1000, 2, () => 0);
    r.allow('a');
    r.allow('b');
    r.allow('c');
    expect(r.allow('a')).toBe(0);
  });
});
