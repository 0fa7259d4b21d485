/**
 * A token bucket: `rate` messages per minute, bursts up to `rate`. Per process, in memory: two
 * server processes each send up to the rate to one channel.
 */
/** Messages per minute, in tokens: one message takes one; refilled continuously up to `rate`. */
export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly rate: number,
    now: number,
  ) {
    this.tokens = rate;
    this.at = now;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.at) * this.rate) / 60_000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
