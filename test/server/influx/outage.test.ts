/**
 * InfluxDB down: the writer probes with one batch at a time, waiting 1 s doubling to 5 s between
 * probes, or longer when InfluxDB sent Retry-After; a written probe ends the outage and the next
 * outage starts again at 1 s.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { InfluxOutage } from '../../../server/src/influx/outage.js';
import { createMetrics } from '../../../server/src/metrics.js';
import { decideStatus, type RetryDecision } from '@yizhan/common/retry';

const log = pino({ level: 'silent' });

/** An outage whose probes answer from `answers` (true: written); probe times go to `times`. */
function outageWith(answers: boolean[], probeFailure: RetryDecision, times: number[]) {
  const state = { ends: 0 };
  const outage: InfluxOutage = new InfluxOutage(
    { minRetryDelayMs: 1000, maxRetryDelayMs: 5000 },
    createMetrics({ defaultMetrics: false }),
    log,
    {
      inFlight: () => undefined,
      probe: () => {
        times.push(Date.now());
        const ok = answers.shift() ?? true;
        if (ok) outage.up(0);
        else outage.failed(probeFailure, 'HTTP 503', 1, undefined);
        return Promise.resolve(ok);
      },
      ended: () => state.ends++,
    },
  );
  return { outage, state };
}

/** Start an outage with `failure` and run the clock until it has ended `ends` times in all. */
async function runOutage(
  o: ReturnType<typeof outageWith>,
  failure: RetryDecision,
  ends: number,
): Promise<number> {
  const start = Date.now();
  o.outage.failed(failure, 'HTTP 503', 1, undefined);
  expect(o.outage.down).toBe(true);
  await vi.waitFor(
    async () => {
      await vi.advanceTimersByTimeAsync(500);
      expect(o.state.ends).toBe(ends);
    },
    { timeout: 10_000, interval: 0 },
  );
  expect(o.outage.down).toBe(false);
  return start;
}

describe('InfluxOutage', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each<[string, boolean[], RetryDecision, RetryDecision, number[]]>([
    ['first probe written', [true], decideStatus(503), decideStatus(503), [1000]],
    [
      'waits double up to 5 s while probes fail',
      [false, false, false, false, false, true],
      decideStatus(503),
      decideStatus(503),
      [1000, 3000, 7000, 12_000, 17_000, 22_000],
    ],
    [
      'Retry-After longer than the backoff is honoured',
      [false, true],
      decideStatus(503),
      decideStatus(429, '3'),
      [1000, 4000],
    ],
    ['Retry-After of the first failure too', [true], decideStatus(503, '4'), decideStatus(503), [4000]],
  ])('%s', async (_name, answers, first, probeFailure, want) => {
    const times: number[] = [];
    await runOutage(outageWith(answers, probeFailure, times), first, 1);
    expect(times).toEqual(want);
  });

  it('a new outage starts again at 1 s', async () => {
    const times: number[] = [];
    const o = outageWith([false, false, true, true], decideStatus(503), times);
    const first = await runOutage(o, decideStatus(503), 1);
    const second = await runOutage(o, decideStatus(503), 2);
    // First outage: 1 s, 2 s, 4 s; the second: 1 s after it started, not 5 s.
    expect(times.map((t, i) => t - (i < 3 ? first : second))).toEqual([1000, 3000, 7000, 1000]);
  });
});
