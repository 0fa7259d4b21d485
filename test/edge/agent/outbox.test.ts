import { describe, expect, it } from 'vitest';
import { MemoryOutbox, type OutboxMessage } from '../../../edge/src/agent/outbox.js';

const msg = (n: number): OutboxMessage => ({
  topic: `t/${n}`,
  leaf: 'telemetry',
  payload: Buffer.from(String(n)),
  retain: false,
  enqueuedAt: n,
});
const drain = (o: MemoryOutbox) => {
  const out: number[] = [];
  for (let m = o.shift(); m; m = o.shift()) out.push(m.enqueuedAt);
  return out;
};

describe('MemoryOutbox', () => {
  it('keeps order, drops the oldest when full and counts it', () => {
    const o = new MemoryOutbox(3);
    for (let n = 1; n <= 5; n++) o.push(msg(n));
    expect(o.depth).toBe(3);
    expect(o.dropped).toBe(2);
    expect(o.oldestEnqueuedAt()).toBe(3);
    expect(drain(o)).toEqual([3, 4, 5]);
    expect(o.oldestEnqueuedAt()).toBeUndefined();
  });
  it('requeues at the head in order, dropping what does not fit', () => {
    const o = new MemoryOutbox(4);
    o.push(msg(5));
    o.push(msg(6));
    o.requeue([msg(3), msg(4)]);
    expect(drain(o)).toEqual([3, 4, 5, 6]);
    o.push(msg(8));
    o.push(msg(9));
    o.push(msg(10));
    o.requeue([msg(5), msg(6), msg(7)]);
    expect(o.dropped).toBe(2);
    expect(drain(o)).toEqual([7, 8, 9, 10]);
  });
  it('refuses a capacity below 1', () => {
    expect(() => new MemoryOutbox(0)).toThrow(/capacity must be >= 1/);
  });
});
