/**
 * Live data while a backlog replays (issue 3): the DiskSpool's live lane, on a real folder, by hand
 * and over random link histories (through MqttLink and a real broker: spool.lanes.int.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../../edge/src/agent/outbox.js';
import { DiskSpool } from '../../../edge/src/agent/spool.js';
import { msg, seqOf, spoolScratch, take } from '../spool-helpers.js';

const { tmp, open, cleanup } = spoolScratch();

describe('DiskSpool lanes', () => {
  it('serves records pushed while live ahead of the backlog, each once, lanes in order', () => {
    const s = open(tmp());
    for (let i = 0; i < 10; i++) s.push(msg(i));
    s.setLive(true);
    const first = take(s, 3); // backlog 0..2 start replaying
    s.push(msg(100));
    s.push(msg(101));
    expect(s.depth).toBe(9);
    const rest: number[] = [];
    for (let m = s.shift(); m; m = s.shift()) {
      rest.push(seqOf(m));
      s.ack(m);
      if (rest.length === 4) s.push(msg(102)); // a reading made mid-replay
    }
    first.forEach((m) => s.ack(m));
    expect(first.map(seqOf)).toEqual([0, 1, 2]);
    expect(rest).toEqual([100, 101, 3, 4, 102, 5, 6, 7, 8, 9]);
    expect(s.depth).toBe(0);
  });

  it('link lost: unsent and unacknowledged live records rejoin the backlog in sid order', () => {
    const dir = tmp();
    const s = open(dir);
    for (let i = 0; i < 3; i++) s.push(msg(i));
    s.setLive(true);
    s.push(msg(3));
    s.push(msg(4));
    const inflight = take(s, 2); // 3 and 4 (live), not acknowledged
    expect(inflight.map(seqOf)).toEqual([3, 4]);
    s.push(msg(5)); // queued live, never sent
    s.setLive(false);
    s.requeue(inflight);
    const order: number[] = [];
    for (let m = s.shift(); m; m = s.shift()) order.push(seqOf(m));
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('after a restart, live records that were acknowledged ahead of the backlog may come again, none is lost', () => {
    const dir = tmp();
    const a = open(dir);
    for (let i = 0; i < 4; i++) a.push(msg(i));
    a.setLive(true);
    a.push(msg(4));
    const live = a.shift();
    expect(seqOf(live)).toBe(4);
    if (live) a.ack(live);
    a.close();
    const b = open(dir);
    const order: number[] = [];
    for (let m = b.shift(); m; m = b.shift()) order.push(seqOf(m));
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('a full live lane sends the overflow through the backlog', () => {
    const s = open(tmp(), 2);
    s.push(msg(0));
    s.setLive(true);
    for (let i = 1; i <= 4; i++) s.push(msg(i));
    expect(s.depth).toBe(5);
    const order: number[] = [];
    for (let m = s.shift(); m; m = s.shift()) order.push(seqOf(m));
    expect(order).toEqual([1, 2, 0, 3, 4]);
  });
});

describe('DiskSpool lanes and the size bound', () => {
  it('a dropped segment counts its unsent records once, whichever lane held them', () => {
    const dir = tmp();
    const s = new DiskSpool({ dir, fsync: 'never', maxBytes: 4096, segmentBytes: 1024, liveMax: 50 });
    cleanup.push(() => s.close());
    const pad = (seq: number): OutboxMessage => {
      const m = msg(seq);
      return { ...m, payload: Buffer.from(JSON.stringify({ seq, pad: 'x'.repeat(150) })) };
    };
    let next = 0;
    for (; next < 10; next++) s.push(pad(next)); // backlog
    s.setLive(true);
    const handed: OutboxMessage[] = [];
    for (let i = 0; i < 3; i++) {
      const m = s.shift();
      if (m) handed.push(m); // backlog 0..2 in flight
    }
    for (; next < 100; next++) {
      s.push(pad(next)); // live, and later the overflow of the live lane into the backlog
      if (next % 7 === 0) {
        const m = s.shift();
        if (m) handed.push(m);
      }
    }
    expect(s.dropped).toBeGreaterThan(0);
    for (let m = s.shift(); m; m = s.shift()) handed.push(m);
    const seqs = handed.map(seqOf);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.length + s.dropped).toBe(next);
    expect(s.depth).toBe(0);
  });
});

describe('DiskSpool lanes, random link histories', () => {
  type Op = { k: 'push' } | { k: 'shift' } | { k: 'ack' } | { k: 'up' } | { k: 'down' } | { k: 'fail' };
  const op = fc.oneof(
    fc.constant<Op>({ k: 'push' }),
    fc.constant<Op>({ k: 'push' }),
    fc.constant<Op>({ k: 'shift' }),
    fc.constant<Op>({ k: 'shift' }),
    fc.constant<Op>({ k: 'ack' }),
    fc.constant<Op>({ k: 'up' }),
    fc.constant<Op>({ k: 'down' }),
    fc.constant<Op>({ k: 'fail' }),
  );
  it('every record is handed out until acknowledged, depth is exact, each lane keeps its order', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.integer({ min: 1, max: 5 }), (ops, liveMax) => {
        const s = new DiskSpool({ dir: tmp(), fsync: 'never', liveMax });
        try {
          let next = 0;

          const inflight: OutboxMessage[] = [];
          const acked = new Set<number>();
          const link = (on: boolean): void => {
            s.setLive(on);
            if (!on) s.requeue(inflight.splice(0)); // as MqttLink.onClose does
          };
          for (const o of ops) {
            if (o.k === 'push') s.push(msg(next++));
            else if (o.k === 'shift') {
              const m = s.shift();
              if (m) {
                expect(acked.has(seqOf(m))).toBe(false);
                expect(inflight.map(seqOf)).not.toContain(seqOf(m));
                inflight.push(m);
              }
            } else if (o.k === 'ack') {
              const m = inflight.shift();
              if (m) {
                s.ack(m);
                acked.add(seqOf(m));
              }
            } else if (o.k === 'fail') {
              const m = inflight.pop();
              if (m) s.requeue([m]); // publish refused while connected
            } else link(o.k === 'up');
            expect(s.depth).toBe(next - acked.size - inflight.length);
          }
          link(false); // the link drops: what is in flight comes back
          link(true);
          const tail: number[] = [];
          for (let m = s.shift(); m; m = s.shift()) {
            tail.push(seqOf(m));
            s.ack(m);
            acked.add(seqOf(m));
          }
          expect(acked.size).toBe(next);
          expect(tail).toEqual([...tail].sort((a, b) => a - b)); // after a link loss: sid order
          expect(s.depth).toBe(0);
        } finally {
          s.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
