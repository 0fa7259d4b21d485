/** Bounded helpers: the redelivery set forgets the oldest keys, the log limiter counts what it held back. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BoundedSeenSet, RateLimiter } from '../../../server/src/util/bounded.js';

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
  it('answers as a Map kept in use order (delete + set on a hit, oldest key evicted) did, for any keys', () => {
    /** The implementation it replaced: correct, but its eviction scanned the Map's holes. */
    class MapModel {
      readonly seen = new Map<string, true>();
      evicted = 0;
      constructor(readonly capacity: number) {}
      checkAndAdd(key: string): boolean {
        if (this.seen.has(key)) {
          this.seen.delete(key);
          this.seen.set(key, true);
          return true;
        }
        this.seen.set(key, true);
        if (this.seen.size > this.capacity) {
          const oldest = this.seen.keys().next();
          if (!oldest.done) this.seen.delete(oldest.value);
          this.evicted++;
        }
        return false;
      }
    }
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 3000 }),
        (capacity, keys) => {
          const s = new BoundedSeenSet(capacity);
          const m = new MapModel(capacity);
          for (const k of keys) expect(s.checkAndAdd(`k${k}`)).toBe(m.checkAndAdd(`k${k}`));
          expect([s.size, s.evicted]).toEqual([m.seen.size, m.evicted]);
        },
      ),
      { numRuns: 300 },
    );
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
  it('answers as a Map kept in use order (delete + set when allowed, oldest key evicted) did', () => {
    /** The implementation it replaced. */
    class MapModel {
      readonly last = new Map<string, { at: number; suppressed: number }>();
      constructor(
        readonly intervalMs: number,
        readonly maxKeys: number,
        readonly now: () => number,
      ) {}
      allow(key: string): number | undefined {
        const t = this.now();
        const e = this.last.get(key);
        if (e && t - e.at < this.intervalMs) {
          e.suppressed++;
          return undefined;
        }
        const suppressed = e?.suppressed ?? 0;
        this.last.delete(key);
        this.last.set(key, { at: t, suppressed: 0 });
        if (this.last.size > this.maxKeys) {
          const oldest = this.last.keys().next();
          if (!oldest.done) this.last.delete(oldest.value);
        }
        return suppressed;
      }
    }
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 400 })), {
          maxLength: 3000,
        }),
        (maxKeys, calls) => {
          let now = 0;
          const r = new RateLimiter(1000, maxKeys, () => now);
          const m = new MapModel(1000, maxKeys, () => now);
          for (const [k, dt] of calls) {
            now += dt;
            expect(r.allow(`k${k}`)).toBe(m.allow(`k${k}`));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
  it('keeps at most maxKeys keys', () => {
    const r = new RateLimiter(1000, 2, () => 0);
    r.allow('a');
    r.allow('b');
    r.allow('c');
    expect(r.allow('a')).toBe(0);
  });
});
