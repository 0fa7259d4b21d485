/**
 * The disk spool across agent restarts (the folder reopened, what was in flight forgotten), link
 * histories and acknowledgements out of order, at random: nothing is left behind.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { OutboxMessage } from '../../../edge/src/agent/outbox.js';
import { DiskSpool } from '../../../edge/src/agent/spool.js';
import { msg, seqOf, spoolScratch } from '../spool-helpers.js';

const { tmp } = spoolScratch();

it('random histories with agent restarts and acks out of order: every record is handed out until acknowledged, and never while depth says 0', () => {
  type Op =
    | { k: 'push' }
    | { k: 'shift' }
    | { k: 'ack' }
    | { k: 'up' }
    | { k: 'down' }
    | { k: 'restart' }
    | { k: 'ackLast' };
  const op = fc.oneof(
    ...(
      ['push', 'push', 'push', 'shift', 'shift', 'ack', 'ack', 'ackLast', 'up', 'down', 'restart'] as const
    ).map((k) => fc.constant<Op>({ k })),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 1, max: 4 }), (ops, liveMax) => {
      const dir = tmp();
      let s = new DiskSpool({ dir, fsync: 'never', liveMax, ackFlushMs: 0 });
      let next = 0;
      let inflight: OutboxMessage[] = [];
      let up = false;
      const acked = new Set<number>();
      for (const o of ops) {
        if (o.k === 'push') s.push(msg(next++));
        else if (o.k === 'shift') {
          if (!up) continue;
          const d = s.depth;
          const m = s.shift();
          if (d === 0) expect(m).toBeUndefined(); // the link's pump asks only while depth > 0
          if (m) inflight.push(m);
        } else if (o.k === 'ack' || o.k === 'ackLast') {
          const m = o.k === 'ack' ? inflight.shift() : inflight.pop();
          if (m) {
            s.ack(m);
            acked.add(seqOf(m));
          }
        } else if (o.k === 'up') {
          up = true;
          s.setLive(true);
        } else if (o.k === 'down') {
          up = false;
          s.setLive(false);
          s.requeue(inflight.splice(0));
        } else {
          s.close();
          s = new DiskSpool({ dir, fsync: 'never', liveMax, ackFlushMs: 0 });
          inflight = [];
          up = false;
        }
      }
      s.setLive(false);
      s.requeue(inflight.splice(0));
      s.setLive(true);
      for (let m = s.depth > 0 ? s.shift() : undefined; m; m = s.depth > 0 ? s.shift() : undefined) {
        s.ack(m);
        acked.add(seqOf(m));
      }
      const missing = [...Array(next).keys()].filter((n) => !acked.has(n));
      s.close();
      expect(missing).toEqual([]);
    }),
    { numRuns: 300 },
  );
});
