/**
 * Bounded "seen before?" set with least-recently-used eviction (a Map keeps insertion order).
 * Used to recognise MQTT QoS 1 redeliveries by (station, bootId, seq).
 */
export class BoundedSeenSet {
  private readonly seen = new Map<string, true>();
  /** Keys evicted to stay within `capacity`. */
  evicted = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
  }

  /** True when `key` was seen (and is still remembered); otherwise remembers it and returns false. */
  checkAndAdd(key: string): boolean {
    if (this.seen.has(key)) {
      // Refresh: a key seen again stays longest (least-recently-used eviction).
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

  get size(): number {
    return this.seen.size;
  }
}

/**
 * Logs at most once per `intervalMs` per key and reports how many were suppressed in between.
 * Keys are bounded too, so a flood of distinct bogus station ids cannot grow memory.
 */
export class RateLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the number suppressed since the last allowed call when this one may log, else undefined. */
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
