import { describe, expect, it } from 'vitest';
import {
  alertIdsLinked,
  benchStationName,
  percentile,
  stationsNamed,
  throttledCount,
} from '../../bench/alerts-lib.js';

describe('bench:alerts helpers', () => {
  it('percentile: nearest rank, so the p99 of 30 samples is the largest one', () => {
    const v = Array.from({ length: 30 }, (_, i) => (i + 1) * 100);
    expect(percentile(v, 50)).toBe(1500);
    expect(percentile(v, 99)).toBe(3000);
    expect(percentile([], 99)).toBe(0);
  });

  it('names a message gives: 压测12号驿站 is station 12, not station 1', () => {
    const text = `【严重】${benchStationName(11)} 饮水机故障\n另有 ${benchStationName(0)}、压测120号驿站`;
    expect([...stationsNamed(text)].sort((a, b) => a - b)).toEqual([0, 11, 119]);
    expect(stationsNamed('【严重】城关人民路驿站 饮水机故障').size).toBe(0);
  });

  it('alert ids of the page links in a message', () => {
    const text =
      '[查看](http://yizhan.bench/app/alerts/01JABC-x_9) 与 http://yizhan.bench/app/alerts?state=firing';
    expect([...alertIdsLinked(text)]).toEqual(['01JABC-x_9']);
  });

  it('a robot at 20 per minute refuses the 21st message of a minute, and takes messages again a minute later', () => {
    const burst = Array.from({ length: 30 }, (_, i) => i * 100); // 30 in 3 s
    expect(throttledCount(burst)).toBe(10);
    expect(throttledCount([...burst, 60_000])).toBe(10); // the first one has left the window
    expect(throttledCount(Array.from({ length: 40 }, (_, i) => i * 3_000))).toBe(0); // 20/min exactly
  });
});
