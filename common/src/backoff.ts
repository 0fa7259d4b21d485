/**
 * Exponential backoff with jitter: the one wait-before-retrying of every loop that retries (the
 * agent's broker reconnect and serial reopen, the server's InfluxDB setup and outage probe, the
 * alert webhook, the benchmark's load generator).
 *
 * Delay n = min(maxMs, initialMs * factor^n), then reduced by a random share up to `jitter`
 * ("equal jitter"), so that 47 agents that lost the broker at once do not all come back at once.
 * With `jitter: 0` it is plain doubling: the server's loops are one client per process, there is
 * nothing to spread, and their tests pin the exact waits.
 */
export interface BackoffOptions {
  /** First delay, ms. */
  initialMs: number;
  /** Largest delay, ms. */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Share of the delay that is random, 0..1 (0.5: between half and the full delay). */
  jitter: number;
}

/** Defaults of every field a user leaves out: 1 s doubling to 60 s, equal jitter. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 1000,
  maxMs: 60_000,
  factor: 2,
  jitter: 0.5,
});

/** factor^n past this exponent exceeds any sane maxMs; capping it keeps the product finite. */
const MAX_EXPONENT = 30;

export class Backoff {
  private n = 0;
  private readonly opts: BackoffOptions;

  constructor(
    opts: Partial<BackoffOptions> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.opts = { ...DEFAULT_BACKOFF, ...opts };
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.n;
  }

  /** The delay before the next attempt, in ms; each call counts one attempt. */
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.opts;
    const base = Math.min(maxMs, initialMs * factor ** Math.min(this.n, MAX_EXPONENT));
    this.n++;
    return Math.round(base * (1 - Math.min(1, Math.max(0, jitter)) * this.random()));
  }

  /** The attempt worked: the next delay is `initialMs` again. */
  reset(): void {
    this.n = 0;
  }
}
