import type { Clock } from '@yizhan/edge/simulator';

/**
 * A simulator clock that follows the wall clock at `rate` times its speed: 1 = normal, 0 = paused,
 * 30 = thirty times faster. Changing the rate never makes the clock jump.
 */
export class WarpClock implements Clock {
  private baseVirtual: number;
  private baseReal: number;
  private rate = 1;
  constructor() {
    this.baseReal = Date.now();
    this.baseVirtual = this.baseReal;
  }
  now(): number {
    return this.baseVirtual + (Date.now() - this.baseReal) * this.rate;
  }
  setRate(rate: number): void {
    this.baseVirtual = this.now();
    this.baseReal = Date.now();
    this.rate = rate;
  }
}
