/**
 * Logs at most once per `intervalMs` per key and reports how many lines were suppressed in
 * between. Keys are bounded too (least recently logged forgotten first), so a flood of distinct
 * bogus station ids or client ids cannot grow memory. O(1) per call: the use order is a queue of
 * its own (use-order.ts), not a Map's insertion order, which cost 20 to 60 µs per message.
 */
import { UseOrder } from './use-order.js';

export interface LogThrottleOptions {
  /** At most one line per key in this interval, ms. */
  intervalMs: number;
  /** Keys remembered at most. */
  maxKeys: number;
}

export const DEFAULT_LOG_THROTTLE: Readonly<LogThrottleOptions> = Object.freeze({
  intervalMs: 10_000,
  maxKeys: 10_000,
});

export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  private readonly order: UseOrder;

  constructor(
    private readonly intervalMs = DEFAULT_LOG_THROTTLE.intervalMs,
    private readonly maxKeys = DEFAULT_LOG_THROTTLE.maxKeys,
    private readonly now: () => number = Date.now,
  ) {
    this.order = new UseOrder(maxKeys);
  }

  /** undefined: stay silent; a number: log now, mentioning that many suppressed lines. */
  pass(key: string): number | undefined {
    const t = this.now();
    const e = this.last.get(key);
    if (e && t - e.at < this.intervalMs) {
      e.suppressed++;
      return undefined;
    }
    const suppressed = e?.suppressed ?? 0;
    this.last.set(key, { at: t, suppressed: 0 });
    this.order.use(key);
    if (this.last.size > this.maxKeys) {
      const oldest = this.order.evictOldest();
      if (oldest !== undefined) this.last.delete(oldest);
    }
    return suppressed;
  }
}
