/**
 * DiskSpool on a real folder: order, acknowledgement, restart (what was not acknowledged comes back
 * byte-identical), the size bound (oldest dropped and counted), torn lines, requeue.
 */
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskSpool, SpoolError, type SpoolOptions } from '../../edge/src/agent/spool.js';
import type { OutboxMessage } from '../../edge/src/agent/outbox.js';

const dirs: string[] = [];
const spools: DiskSpool[] = [];
afterEach(() => {
  for (const s of spools.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir: string, o: Partial<SpoolOptions> = {}): DiskSpool {
  const s = new DiskSpool({ dir, fsync: 'never', ...o });
  spools.push(s);
  return s;
}
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'yz-spool-'));
  dirs.push(d);
  return d;
}
const msg = (n: number, pad = 0): OutboxMessage => ({
  topic: 'yizhan/v1/stations/st-001/telemetry',
  leaf: 'telemetry',
  payload: Buffer.from(JSON.stringify({ seq: n, pad: 'x'.repeat(pad) })),
  retain: false,
  enqueuedAt: 1_700_000_000_000 + n,
});
const seqOf = (m: OutboxMessage | undefined): number =>
  m ? (JSON.parse(m.payload.toString('utf8')) as { seq: number }).seq : -1;
function drain(s: DiskSpool, ack = true): number[] {
  const out: number[] = [];
  for (let m = s.shift(); m; m = s.shift()) {
    out.push(seqOf(m));
    if (ack) s.ack(m);
  }
  return out;
}

describe('DiskSpool', () => {
  it('hands messages out in order, with depth and the oldest time', () => {
    const s = open(tmp());
    for (let i = 0; i < 5; i++) s.push(msg(i));
    expect(s.depth).toBe(5);
    expect(s.oldestEnqueuedAt()).toBe(msg(0).enqueuedAt);
    expect(drain(s)).toEqual([0, 1, 2, 3, 4]);
    expect(s.depth).toBe(0);
    expect(s.oldestEnqueuedAt()).toBeUndefined();
  });

  it('after a restart, replays exactly what was not acknowledged, byte-identical', () => {
    const dir = tmp();
    const a = open(dir);
    for (let i = 0; i < 10; i++) a.push(msg(i));
    const out: OutboxMessage[] = [];
    for (let i = 0; i < 6; i++) {
      const m = a.shift();
      if (m) out.push(m);
    }
    // 0..3 acknowledged, 4 and 5 in flight when the process dies.
    for (const m of out.slice(0, 4)) a.ack(m);
    a.close();
    const b = open(dir);
    expect(b.depth).toBe(6);
    const first = b.shift();
    expect(first?.payload.equals(msg(4).payload)).toBe(true);
    expect(first?.enqueuedAt).toBe(msg(4).enqueuedAt);
    if (first) b.ack(first);
    expect(drain(b)).toEqual([5, 6, 7, 8, 9]);
  });

  it('acknowledgements out of order move the cursor only over a complete run', () => {
    const dir = tmp();
    const a = open(dir);
    for (let i = 0; i < 4; i++) a.push(msg(i));
    const ms = [a.shift(), a.shift(), a.shift()].filter((m): m is OutboxMessage => m !== undefined);
    const [m0, m1, m2] = ms;
    if (!m0 || !m1 || !m2) throw new Error('spool gave fewer messages than pushed');
    a.ack(m2);
    a.ack(m0);
    a.close();
    // 1 not acknowledged: 1, 2 (acknowledged, after the gap: sent again, the server drops it) and 3 return.
    expect(drain(open(dir))).toEqual([1, 2, 3]);
  });

  it.each([
    { maxBytes: 8 * 1024, segmentBytes: 1024, n: 400 },
    { maxBytes: 64 * 1024, segmentBytes: 4096, n: 3000 },
  ])('at the bound ($maxBytes B) drops the oldest, counts them, keeps the newest in order', (c) => {
    const dir = tmp();
    const s = open(dir, { maxBytes: c.maxBytes, segmentBytes: c.segmentBytes });
    for (let i = 0; i < c.n; i++) s.push(msg(i, 40));
    expect(s.bytes).toBeLessThanOrEqual(c.maxBytes);
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.dropped + s.depth).toBe(c.n);
    const got = drain(s);
    expect(got[0]).toBe(s.dropped);
    expect(got).toEqual(Array.from({ length: c.n - s.dropped }, (_, i) => s.dropped + i));
    // Segments whose records are all acknowledged are deleted (the tail stays).
    expect(readdirSync(dir).filter((n) => n.endsWith('.log')).length).toBe(1);
  });

  it('a torn last line (power cut mid-write) is skipped and counted; the rest replays', () => {
    const dir = tmp();
    const a = open(dir);
    for (let i = 0; i < 3; i++) a.push(msg(i));
    a.close();
    const seg = readdirSync(dir).find((n) => n.endsWith('.log'));
    if (!seg) throw new Error('no segment written');
    appendFileSync(join(dir, seg), '[3,"yizhan/v1/stations/st-001/telemetry","tele');
    const b = open(dir);
    expect(drain(b)).toEqual([0, 1, 2]);
    expect(b.corrupt).toBe(1);
    b.push(msg(10));
    expect(drain(b)).toEqual([10]);
  });

  it('requeued messages come back first, in their order', () => {
    const s = open(tmp());
    for (let i = 0; i < 5; i++) s.push(msg(i));
    const a = s.shift();
    const b = s.shift();
    if (!a || !b) throw new Error('spool gave fewer messages than pushed');
    s.requeue([a, b]);
    expect(s.depth).toBe(5);
    expect(drain(s)).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses a bound too small to be useful, saying which option', () => {
    expect(() => open(tmp(), { maxBytes: 100 })).toThrow(SpoolError);
    expect(() => open(tmp(), { maxBytes: 100 })).toThrow(/maxBytes must be an integer >= 4096, got 100/);
  });
});
