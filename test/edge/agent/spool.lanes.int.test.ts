/**
 * Live data while a backlog replays (issue 3): the DiskSpool's live lane. Unit cases on a real
 * folder, then end to end with a real broker (in-test aedes) and a real mqtt.js subscriber: with
 * thousands of spooled messages replaying at the configured pace, readings made after the reconnect
 * reach the broker within a second, and at the end every message arrived once, in order within its
 * lane, with `historical: true` on the backlog only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MqttLink } from '../../../edge/src/agent/mqtt-link.js';
import type { OutboxMessage } from '../../../edge/src/agent/outbox.js';
import { DiskSpool } from '../../../edge/src/agent/spool.js';
import { FAST_BACKOFF, memoryLogger } from '../helpers.js';
import { startPlainBroker } from '../../helpers/mqtt-broker.js';
import { waitFor } from '../../helpers/wait.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
afterAll(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'yz-lanes-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
function open(dir: string, liveMax?: number): DiskSpool {
  const s = new DiskSpool({ dir, fsync: 'never', liveMax });
  cleanup.push(() => s.close());
  return s;
}
const TOPIC = 'yizhan/v1/stations/st-901/telemetry';
const msg = (seq: number, enqueuedAt = 1_700_000_000_000 + seq): OutboxMessage => ({
  topic: TOPIC,
  leaf: 'telemetry',
  payload: Buffer.from(JSON.stringify({ bootId: 'b-1', seq, ts: enqueuedAt })),
  retain: false,
  enqueuedAt,
});
const seqOf = (m: OutboxMessage | undefined): number =>
  m ? (JSON.parse(m.payload.toString('utf8')) as { seq: number }).seq : -1;
function take(s: DiskSpool, n: number): OutboxMessage[] {
  const out: OutboxMessage[] = [];
  for (let i = 0; i < n; i++) {
    const m = s.shift();
    if (m) out.push(m);
  }
  return out;
}

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

describe('live data during a replay, through a real broker', () => {
  it('new readings arrive within 1 s while 4 000 spooled messages replay; all arrive once', async () => {
    const BACKLOG = 4000;
    const LIVE = 10;
    const RATE = 1000; // publishes per second: the replay takes about 4 s
    const dir = tmp();
    const spool = open(dir);
    const outageStart = Date.now() - 120_000;
    for (let i = 0; i < BACKLOG; i++) spool.push(msg(i, outageStart + i));

    const broker = await startPlainBroker();
    cleanup.push(() => broker.close());
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'rec-lanes' });
    cleanup.push(() => sub.endAsync(true));
    const got: { seq: number; historical: boolean; at: number }[] = [];
    sub.on('message', (_t, payload) => {
      const j = JSON.parse(payload.toString('utf8')) as { seq: number; historical?: boolean };
      got.push({ seq: j.seq, historical: j.historical === true, at: Date.now() });
    });
    await sub.subscribeAsync(TOPIC, { qos: 1 });

    const { logger } = memoryLogger();
    const link = new MqttLink({
      url: broker.url,
      clientId: 'st-901',
      username: 'st-901',
      password: 'x',
      statusTopic: 'yizhan/v1/stations/st-901/status',
      onlinePayload: () => Buffer.from('{"online":true}'),
      willPayload: () => Buffer.from('{"online":false}'),
      outbox: spool,
      maxInflight: 32,
      maxPublishRatePerS: RATE,
      backoff: FAST_BACKOFF,
      connectTimeoutMs: 2000,
      keepaliveS: 30,
      historicalAfterMs: 30_000,
      now: () => Date.now(),
      logger,
    });
    cleanup.push(() => link.stop(Buffer.from('{"online":false}'), 2000));
    link.start();
    await waitFor('replay under way', () => got.length > 300);

    const latencies: number[] = [];
    const backlogAtLive: number[] = [];
    for (let k = 0; k < LIVE; k++) {
      const seq = BACKLOG + k;
      const sentAt = Date.now();
      link.enqueue(msg(seq, sentAt));
      const arrived = await waitFor(`live reading ${seq}`, () => got.find((g) => g.seq === seq), 1000);
      latencies.push(arrived.at - sentAt);
      backlogAtLive.push(got.filter((g) => g.seq < BACKLOG).length);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Every live reading arrived within 1 s, and the backlog was still replaying when the last did.
    expect(Math.max(...latencies)).toBeLessThan(1000);
    expect(backlogAtLive[LIVE - 1]).toBeLessThan(BACKLOG);

    await waitFor('backlog replayed', () => got.length >= BACKLOG + LIVE, 15_000);
    await waitFor('spool acknowledged', () => spool.depth === 0);
    await new Promise((r) => setTimeout(r, 200)); // any duplicate would show up by now
    const seqs = got.map((g) => g.seq);
    expect(new Set(seqs).size).toBe(seqs.length); // each once
    expect(seqs.length).toBe(BACKLOG + LIVE);
    const backlog = got.filter((g) => g.seq < BACKLOG);
    const live = got.filter((g) => g.seq >= BACKLOG);
    expect(backlog.map((g) => g.seq)).toEqual(Array.from({ length: BACKLOG }, (_, i) => i));
    expect(live.map((g) => g.seq)).toEqual(Array.from({ length: LIVE }, (_, k) => BACKLOG + k));
    expect(backlog.every((g) => g.historical)).toBe(true);
    expect(live.some((g) => g.historical)).toBe(false);
    // Interleaved, not queued behind: live readings arrived before the backlog's tail.
    const lastBacklogAt = Math.max(...backlog.map((g) => g.at));
    expect(live.every((g) => g.at < lastBacklogAt)).toBe(true);
  }, 30_000);
});
