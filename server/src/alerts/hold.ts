/**
 * For-duration and hysteresis of one condition, judged on the readings' own time: a condition must
 * hold `forMs` before it fires, and once firing its separate clear condition must hold `clearForMs`
 * before it resolves. A value hovering at a threshold therefore neither fires nor clears over and
 * over: the fire and clear conditions are different (e.g. level < 15 % fires, level > 25 % clears),
 * and each must last.
 *
 *        bad seen        bad for forMs          clear seen      clear for clearForMs
 *   ok ───────────► pending ───────────► firing ──────────► clearing ──────────────► ok
 *         ▲   not bad     │                  ▲   not clear      │
 *         └───────────────┘                  └──────────────────┘
 *
 * update() returns 'fire' or 'resolve' exactly once per transition; the caller fires or resolves
 * the alert then. Readings older than the last one seen are ignored (returns 'stale').
 */
export type HoldChange = 'fire' | 'resolve' | 'none' | 'stale';

export interface HoldOptions {
  /** The bad condition must hold this long before it fires, ms (0: at once). */
  forMs: number;
  /** The clear condition must hold this long before a firing condition resolves, ms (0: at once). */
  clearForMs: number;
}

export class Hold {
  /** Station time the bad condition was first seen in the current run; null when not pending. */
  private badSince: number | null = null;
  /** Station time the clear condition was first seen while firing; null when not clearing. */
  private clearSince: number | null = null;
  private lastTs = -Infinity;
  firing = false;

  constructor(private opts: HoldOptions) {}

  /** New thresholds (reload); the current run keeps its start. */
  configure(opts: HoldOptions): void {
    this.opts = opts;
  }

  /** Since when the condition has been bad in this run (fire time), or null. */
  get since(): number | null {
    return this.badSince;
  }

  /**
   * One judgement at station time `ts`: `bad` is the fire condition, `clear` the clear condition
   * (pass `!bad` when the rule has no separate one). `bad` and `clear` should not both be true.
   */
  update(ts: number, bad: boolean, clear: boolean): HoldChange {
    if (ts < this.lastTs) return 'stale';
    this.lastTs = ts;
    if (!this.firing) {
      if (!bad) {
        this.badSince = null;
        return 'none';
      }
      this.badSince ??= ts;
      if (ts - this.badSince < this.opts.forMs) return 'none';
      this.firing = true;
      this.clearSince = null;
      return 'fire';
    }
    if (!clear) {
      this.clearSince = null;
      return 'none';
    }
    this.clearSince ??= ts;
    if (ts - this.clearSince < this.opts.clearForMs) return 'none';
    this.firing = false;
    this.badSince = null;
    this.clearSince = null;
    return 'resolve';
  }

  /** Forget everything (the rule was disabled, the station removed). */
  reset(): void {
    this.badSince = null;
    this.clearSince = null;
    this.firing = false;
    this.lastTs = -Infinity;
  }
}
