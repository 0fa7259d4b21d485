import { UseOrder } from '@yizhan/common/use-order';

/**
 * Bounded "seen before?" set with least-recently-used eviction.
 * Used to recognise MQTT QoS 1 redeliveries by (station, bootId, seq).
 */
export class BoundedSeenSet {
  private readonly seen: UseOrder;
  /** Keys evicted to stay within `capacity`. */
  evicted = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
    this.seen = new UseOrder(capacity);
  }

  /** True when `key` was seen (and is still remembered); otherwise remembers it and returns false. */
  checkAndAdd(key: string): boolean {
    if (this.has(key)) return true;
    this.add(key);
    return false;
  }

  /** `key` is remembered (a key seen again stays longest: least-recently-used eviction). */
  has(key: string): boolean {
    if (!this.seen.has(key)) return false;
    this.seen.use(key);
    return true;
  }

  /** Remember `key`, forgetting the least recently used one past `capacity`. */
  add(key: string): void {
    this.seen.use(key);
    if (this.seen.size > this.capacity) {
      this.seen.evictOldest();
      this.evicted++;
    }
  }

  get size(): number {
    return this.seen.size;
  }
}
