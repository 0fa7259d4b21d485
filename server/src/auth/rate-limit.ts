/**
 * Token buckets per key (a client address, a login), in memory, checked before any password work.
 * The map is bounded: past `maxKeys` the least recently used key is forgotten (its bucket would
 * have been full again soon anyway), so a flood of made-up logins cannot grow the process.
 */
export interface BucketOptions {
  /** Attempts allowed in a burst, and per `perMs` on average. */
  capacity: number;
  perMs: number;
  maxKeys: number;
}

export type Take = { ok: true } | { ok: false; retryAfterMs: number };

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly opts: BucketOptions) {}

  take(key: string, now = Date.now()): Take {
    const { capacity, perMs } = this.opts;
    const rate = capacity / perMs;
    const b = this.buckets.get(key) ?? { tokens: capacity, at: now };
    this.buckets.delete(key);
    b.tokens = Math.min(capacity, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(key, b);
    if (this.buckets.size > this.opts.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil((1 - b.tokens) / rate) };
  }

  /** What take() would answer now, without taking (a bucket spent only by failures). */
  peek(key: string, now = Date.now()): Take {
    const b = this.buckets.get(key);
    if (!b) return { ok: true };
    const rate = this.opts.capacity / this.opts.perMs;
    const tokens = Math.min(this.opts.capacity, b.tokens + (now - b.at) * rate);
    return tokens >= 1 ? { ok: true } : { ok: false, retryAfterMs: Math.ceil((1 - tokens) / rate) };
  }

  get size(): number {
    return this.buckets.size;
  }
}
