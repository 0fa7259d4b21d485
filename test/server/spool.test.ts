/**
 * The on-disk write spool: order, durability across a new instance (a restarted server), the size
 * bound, torn last lines, and segment clean-up once replayed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../../server/src/influx/spool.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yz-spool-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const lines = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `m,s=a value=${from + i} ${from + i}`);

/** Read and commit everything, in batches of `max`. */
function drain(s: Spool, max: number): string[] {
  const out: string[] = [];
  for (let b = s.read(max); b; b = s.read(max)) {
    out.push(...b.lines);
    s.commit(b);
  }
  return out;
}

describe('Spool', () => {
  it('replays lines in the order appended, across segments, and removes replayed segments', () => {
    const dir = tmp();
    const s = new Spool({ dir, segmentBytes: 200 });
    for (let i = 0; i < 10; i++) expect(s.append(lines(i * 10, 10))).toBe(10);
    expect(readdirSync(dir).filter((f) => f.endsWith('.lp')).length).toBeGreaterThan(3);
    expect(drain(s, 7)).toEqual(lines(0, 100));
    expect(s.empty).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a new instance (server restart) continues from the last committed batch; an uncommitted batch comes again', () => {
    const dir = tmp();
    const a = new Spool({ dir, segmentBytes: 1000 });
    a.append(lines(0, 50));
    const b1 = a.read(20);
    if (!b1) throw new Error('expected a batch');
    a.commit(b1);
    expect(a.read(5)?.lines).toEqual(lines(20, 5)); // read, not committed: the process dies here
    const b = new Spool({ dir, segmentBytes: 1000 });
    expect(b.bytes).toBe(a.bytes);
    expect(drain(b, 8)).toEqual(lines(20, 30));
  });

  it('refuses lines beyond maxBytes (the caller counts them) and takes again once replayed', () => {
    const dir = tmp();
    const one = Buffer.byteLength(lines(0, 1)[0] ?? '') + 1;
    const s = new Spool({ dir, maxBytes: one * 10 + 3, segmentBytes: one * 4 });
    expect(s.append(lines(0, 8))).toBe(8);
    expect(s.append(lines(8, 5))).toBe(2);
    expect(s.append(lines(13, 1))).toBe(0);
    expect(drain(s, 100)).toEqual(lines(0, 10));
    expect(s.append(lines(20, 3))).toBe(3);
  });

  it('skips a torn last line (the process died mid-append) and counts it', () => {
    const dir = tmp();
    const a = new Spool({ dir });
    a.append(lines(0, 3));
    const seg = readdirSync(dir).find((f) => f.endsWith('.lp')) ?? '';
    appendFileSync(join(dir, seg), 'm,s=a value=9');
    const b = new Spool({ dir });
    b.append(lines(3, 2)); // after the restart: must not be glued to the torn line
    expect(drain(b, 10)).toEqual(lines(0, 5));
    expect(b.tornLines).toBe(1);
    expect(b.empty).toBe(true);
  });
});
