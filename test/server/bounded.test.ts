/** The redelivery set forgets the least recently used keys (the log throttle: test/common/log-throttle.test.ts). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BoundedSeenSet } from '../../server/src/util/bounded.js';

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
