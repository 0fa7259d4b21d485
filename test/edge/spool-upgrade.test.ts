/**
 * On-disk upgrade of the agent's spool: a folder written by the spool before the durable log
 * (`<sid>.seg` files of `[sid, topic, leaf, retain, enqueuedAt, payload]` lines and an `acked`
 * cursor) is taken over at open: what was not acknowledged replays byte-identical, in order, once;
 * the old files are gone; a torn old line is skipped. A disk that refuses the take-over gets an
 * error naming the file and what to do, and the old files stay.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskSpool } from '../../edge/src/agent/spool.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yz-spool-upgrade-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const TOPIC = 'yizhan/v1/stations/st-001/telemetry';
const payload = (seq: number) =>
  JSON.stringify({ bootId: 'b-1', seq, ts: 1_700_000_000_000 + seq, text: '换行\n"引号"' });
/** A line of the previous format. */
const oldLine = (sid: number) =>
  `${JSON.stringify([sid, TOPIC, 'telemetry', 0, 1000 + sid, payload(sid)])}\n`;
const seg = (first: number) => `${String(first).padStart(16, '0')}.seg`;

function drain(s: DiskSpool): { seq: number; payload: string; enqueuedAt: number }[] {
  const out = [];
  for (let m = s.shift(); m; m = s.shift()) {
    out.push({
      seq: (JSON.parse(m.payload.toString()) as { seq: number }).seq,
      payload: m.payload.toString(),
      enqueuedAt: m.enqueuedAt,
    });
    s.ack(m);
  }
  return out;
}

describe('DiskSpool: a spool folder of the previous format', () => {
  it.each([
    { what: 'with an acked cursor in the first segment', acked: '3', from: 4 },
    { what: 'without an acked cursor', acked: undefined, from: 0 },
    { what: 'with everything acknowledged', acked: '9', from: 10 },
  ])('$what: replays what was not acknowledged, byte-identical, once', ({ acked, from }) => {
    const dir = tmp();
    writeFileSync(join(dir, seg(0)), [0, 1, 2, 3, 4].map(oldLine).join(''));
    writeFileSync(join(dir, seg(5)), [5, 6, 7, 8, 9].map(oldLine).join('') + '[10,"yizhan/v1/sta'); // torn tail
    if (acked !== undefined) writeFileSync(join(dir, 'acked'), acked);
    const s = new DiskSpool({ dir, fsync: 'never' });
    const want = Array.from({ length: 10 - from }, (_, i) => from + i);
    expect(s.depth).toBe(want.length);
    const got = drain(s);
    expect(got.map((m) => m.seq)).toEqual(want);
    expect(got.map((m) => m.payload)).toEqual(want.map(payload));
    expect(got.map((m) => m.enqueuedAt)).toEqual(want.map((n) => 1000 + n));
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg') || f === 'acked')).toEqual([]);
    s.close();
    // Taken over once: a second start has nothing left to send.
    const again = new DiskSpool({ dir, fsync: 'never' });
    expect(drain(again)).toEqual([]);
    again.close();
  });

  it('a take-over the disk refuses (ENOSPC): an error naming the file and what to do; the old files stay', () => {
    const dir = tmp();
    writeFileSync(join(dir, seg(0)), [0, 1, 2].map(oldLine).join(''));
    symlinkSync('/dev/full', join(dir, '0000000000000000.log')); // every write: ENOSPC
    expect(() => new DiskSpool({ dir, fsync: 'never' })).toThrow(
      new RegExp(
        `cannot take over ${join(dir, seg(0))} .*no space left.*free disk space.*delete the \\*\\.seg files`,
      ),
    );
    expect(existsSync(join(dir, seg(0)))).toBe(true);
  });
});
