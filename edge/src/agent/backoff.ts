/**
 * Exponential backoff with jitter, for reconnecting to the broker and reopening the serial port.
 * Delay n = min(maxMs, initialMs * factor^n), then reduced by a random share up to `jitter`
 * ("equal jitter"), so that 47 agents that lost the broker at once do not all come back at once.
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

export const DEFAULT_MQTT_BACKOFF: BackoffOptions = {
  initialMs: 1000,
  maxMs: 60_000,
  factor: 2,
  jitter: 0.5,
};
export const DEFAULT_SERIAL_BACKOFF: BackoffOptions = {
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.3,
};

export class Backoff {
  private n = 0;
  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}
  /** Attempts since the last reset. */
  get attempts(): number {
    return this.n;
  }
  /** The delay before the next attempt, in ms. */
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.opts;
    const base = Math.min(maxMs, initialMs * factor ** Math.min(this.n, 30));
    this.n++;
    return Math.round(base * (1 - Math.min(1, Math.max(0, jitter)) * this.random()));
  }
  reset(): void {
    this.n = 0;
  }
}
