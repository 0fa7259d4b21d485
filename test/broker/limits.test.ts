/**
 * Delayed PUBLISHes of one client must leave in the order they came (MQTT-4.6.0-6), even when a
 * later one is due sooner by rounding or when Node's timer lists would run them out of order.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OrderedDelay } from '../../broker/src/limits.js';

// a held clock: the order must not depend on how busy the machine is
const sleep = (ms: number): Promise<unknown> => vi.advanceTimersByTimeAsync(ms);

describe('OrderedDelay', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('keeps queue order when later items have shorter delays', async () => {
    const d = new OrderedDelay();
    const out: number[] = [];
    d.push(60, () => out.push(1));
    d.push(20, () => out.push(2));
    d.push(0, () => out.push(3));
    expect(d.pending).toBe(true);
    await sleep(30);
    expect(out).toEqual([]); // 2 and 3 wait behind 1
    await sleep(60);
    expect(out).toEqual([1, 2, 3]);
    expect(d.pending).toBe(false);
  });

  it('keeps order over many interleaved delays, as a throttled client produces them', async () => {
    const d = new OrderedDelay();
    const out: number[] = [];
    // delays that step up by 10 ms but with durations Node would keep in different timer lists
    for (let i = 0; i < 50; i++) d.push(10 + i * 2 + (i % 3 === 0 ? 5 : 0), () => out.push(i));
    await sleep(250);
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('clear() drops what waits', async () => {
    const d = new OrderedDelay();
    const out: number[] = [];
    d.push(20, () => out.push(1));
    d.clear();
    await sleep(40);
    expect(out).toEqual([]);
    expect(d.pending).toBe(false);
  });
});
