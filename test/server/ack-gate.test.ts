/**
 * AckGate with the real mqtt.js client (through MqttIngest) against a hand-written MQTT peer that
 * records every PUBACK: mqtt.js reads every message at once, but each PUBACK leaves only after the
 * spool made the message's lines durable, in the order the PUBLISHes arrived [MQTT-4.6.0-2]; a
 * message whose lines could not be spooled is never acknowledged; PUBACKs held when the connection
 * closes are not sent on the next one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { createMetrics } from '../../server/src/metrics.js';
import { AckGate, type DurableLog } from '../../server/src/ingest/ack-gate.js';
import { InfluxWriter } from '../../server/src/influx/writer.js';
import { createTransport } from '../../server/src/influx/transport.js';
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metric } from './helpers.js';
import { ingestFromPeer, mqttPeer } from './mqtt-peer.js';

const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
/** A stand-in for the writer: each message adds 100 bytes to the log; the test moves `durable`. */
class FakeLog implements DurableLog {
  end = 0;
  durable = 0;
  failing = new Set<number>();
  handled: number[] = [];
  onMessage = (_t: string, payload: Buffer): void => {
    const id = Number(payload.toString());
    this.handled.push(id);
    if (!this.failing.has(id)) this.end += 100;
    this.lastOk = !this.failing.has(id);
  };
  private lastOk = true;
  ackTicket(): { offset: number; ok: boolean } {
    return { offset: this.end, ok: this.lastOk };
  }
}

describe('AckGate', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  async function setup() {
    const p = await mqttPeer();
    const metrics = createMetrics({ defaultMetrics: false });
    const fake = new FakeLog();
    const gate = new AckGate(fake, metrics);
    closers.push(() => p.close());
    const m = await ingestFromPeer(p, fake.onMessage, metrics, gate, 'gate-test');
    closers.push(() => m.stop(0));
    const release = (durable: number, ok = true) => {
      fake.durable = durable;
      gate.release(durable, ok);
    };
    return { p, metrics, fake, gate, release };
  }

  it('reads every message at once but sends each PUBACK only once its lines are durable, in arrival order', async () => {
    const { p, fake, gate, release } = await setup();
    p.publish([11, 12, 13, 14, 15]);
    await expect.poll(() => fake.handled).toEqual([11, 12, 13, 14, 15]);
    await new Promise((r) => setTimeout(r, 100));
    expect(p.pubacks).toEqual([]);
    expect(gate.size).toBe(5);
    release(300); // the group commit covered the first three messages
    await expect.poll(() => p.pubacks).toEqual([11, 12, 13]);
    release(500);
    await expect.poll(() => p.pubacks).toEqual([11, 12, 13, 14, 15]);
    expect(gate.size).toBe(0);
  });

  it('never acknowledges a message whose lines could not be spooled (nor one whose sync failed); later ones go on', async () => {
    const { p, fake, metrics, release } = await setup();
    fake.failing.add(22);
    p.publish([21, 22, 23]);
    await expect.poll(() => fake.handled).toEqual([21, 22, 23]);
    release(200);
    await expect.poll(() => p.pubacks).toEqual([21, 23]);
    p.publish([24]);
    await expect.poll(() => fake.handled.length).toBe(4);
    release(300, false);
    await new Promise((r) => setTimeout(r, 100));
    expect(p.pubacks).toEqual([21, 23]);
    const text = await metrics.registry.metrics();
    expect(metric(text, 'yizhan_mqtt_acks_withheld_total', { reason: 'not_durable' })).toBe(2);
  });

  it('drops the PUBACKs it holds when the connection closes: none reaches the next connection', async () => {
    const { p, fake, metrics, release } = await setup();
    p.publish([31, 32]);
    await expect.poll(() => fake.handled.length).toBe(2);
    p.drop();
    await expect.poll(() => p.connections, { timeout: 10_000 }).toBe(2);
    release(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(p.pubacks).toEqual([]);
    const text = await metrics.registry.metrics();
    expect(metric(text, 'yizhan_mqtt_acks_withheld_total', { reason: 'disconnected' })).toBe(2);
    expect(metric(text, 'yizhan_mqtt_acks_held')).toBe(0);
  });
});

describe('InfluxWriter tickets', () => {
  /** A writer on a spool whose writes fail while `full()`; counts the write() calls. */
  function writerOn(dir: string, full: () => boolean) {
    const metrics = createMetrics({ defaultMetrics: false });
    const io = { writes: 0 };
    const w = new InfluxWriter(
      createTransport({ url: 'http://127.0.0.1:9', api: 'v1', db: 'yizhan', rp: 'raw' }),
      '',
      'yizhan/raw',
      metrics,
      log,
      {
        spool: {
          dir,
          io: {
            writeSync: (fd, buf, off, len) => {
              io.writes++;
              if (full())
                throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
              return writeSync(fd, buf, off, len);
            },
          },
        },
      },
    );
    /** Each group commit (or failed append): durable up to offset, ok or not. */
    const outcomes: { offset: number; ok: boolean }[] = [];
    w.onDurable((offset, ok) => outcomes.push({ offset, ok }));
    /** What the gate does for a ticket: the first outcome that covers it. */
    const verdict = (t: { offset: number; ok: boolean }) =>
      t.ok ? outcomes.find((o) => o.offset >= t.offset)?.ok : false;
    return { w, metrics, io, verdict };
  }
  const nextTurn = () => new Promise((r) => setImmediate(r));

  it('the lines of one event-loop turn reach the spool in one write; each message is acknowledged once they are durable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yz-ticket-'));
    const { w, io, verdict } = writerOn(dir, () => false);
    try {
      const tickets = Array.from({ length: 50 }, (_, i) => {
        w.write([`m,s=a value=${i} ${i}`, `m,s=b value=${i} ${i}`]);
        return w.ackTicket();
      });
      expect(io.writes).toBe(0);
      await nextTurn();
      expect(io.writes).toBe(1);
      await expect.poll(() => tickets.map(verdict)).toEqual(tickets.map(() => true));
    } finally {
      await w.close(100);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a disk that refuses the append (ENOSPC): the lines are counted as spool_error and their messages are never acknowledged; the next ones are', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yz-ticket-'));
    let full = false;
    const { w, metrics, verdict } = writerOn(dir, () => full);
    try {
      w.write(['m,s=a value=1 1']);
      const first = w.ackTicket();
      await nextTurn();
      full = true;
      w.write(['m,s=a value=2 2', 'm,s=a value=3 3']);
      const refused = w.ackTicket();
      await nextTurn();
      full = false;
      w.write(['m,s=a value=4 4']);
      const third = w.ackTicket();
      await expect.poll(() => w.durable).toBe(third.offset);
      expect(verdict(refused)).toBe(false);
      expect(verdict(third)).toBe(true);
      expect(third.offset).toBeGreaterThan(refused.offset);
      expect(refused.offset).toBeGreaterThan(first.offset);
      const text = await metrics.registry.metrics();
      expect(metric(text, 'yizhan_influx_points_dropped_total', { reason: 'spool_error' })).toBe(2);
      expect(metric(text, 'yizhan_influx_spool_errors_total', { op: 'append' })).toBe(1);
    } finally {
      await w.close(100);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
