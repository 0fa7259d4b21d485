/**
 * The write-ahead spool: order and at-least-once delivery under any accept/reject order, restart
 * from the committed cursor, the atomic cursor file, a torn last record, the size bound with its
 * drops counted, group commit (one fdatasync for many adds) and I/O errors reported, never thrown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  appendFileSync,
  existsSync,
  fdatasync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Spool, type SpoolBatch, type SpoolOptions } from '../../../server/src/influx/spool.js';
import { waitFor } from '../../helpers/wait.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yz-spool-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const recs = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `m,s=a value=${from + i} ${from + i}`);
/** Add records one add each (a batch from memory holds whole adds). */
const addEach = (s: Spool, from: number, n: number) => {
  for (let i = from; i < from + n; i++) s.add(recs(i, 1));
};

/** Take and accept everything, in batches of `max`. */
function drain(s: Spool, max: number): string[] {
  const out: string[] = [];
  for (let b = s.batch(max); b; b = s.batch(max)) {
    out.push(...b.records);
    s.accept(b);
  }
  return out;
}

function open(o: SpoolOptions & { drops?: Map<string, number>; errors?: string[] }): Spool {
  return new Spool({
    syncIntervalMs: 1,
    onDropped: (n, why) => o.drops?.set(why, (o.drops.get(why) ?? 0) + n),
    onError: (op, e) => o.errors?.push(`${op}: ${e.message}`),
    ...o,
  });
}

describe('Spool', () => {
  it('delivers in order across segments, from memory and from disk once memory gave records up', () => {
    const dir = tmp();
    const s = open({ dir, segmentBytes: 200, maxMemoryRecords: 25 });
    for (let i = 0; i < 10; i++) expect(s.add(recs(i * 10, 10)).ok).toBe(true);
    expect(s.memoryRecords).toBeLessThanOrEqual(25);
    expect(s.unread.disk).toBe(true);
    expect(drain(s, 7)).toEqual(recs(0, 100));
    s.close();
    expect(s.bytes).toBe(0);
    // Only the segment taking appends is left, and the cursor names its end.
    expect(readdirSync(dir).filter((f) => f.endsWith('.log'))).toHaveLength(1);
    expect(Number(readFileSync(join(dir, 'cursor'), 'utf8'))).toBe(s.end);
  });

  it('a restart delivers from the committed cursor: an accepted batch never comes again, a taken but unaccepted one does', () => {
    const dir = tmp();
    const a = open({ dir, segmentBytes: 1000 });
    addEach(a, 0, 50);
    const b1 = a.batch(20) as SpoolBatch;
    a.accept(b1);
    expect(a.batch(5)?.records).toEqual(recs(20, 5)); // taken, not accepted: the process dies here
    a.close();
    const b = open({ dir, segmentBytes: 1000 });
    expect(b.bytes).toBe(a.bytes);
    expect(drain(b, 8)).toEqual(recs(20, 30));
    b.add(recs(50, 2));
    expect(drain(b, 8)).toEqual(recs(50, 2));
  });

  it.each([
    ['in memory', () => new Spool({ maxMemoryRecords: 1_000_000 })],
    [
      'on disk, memory holding 7 records (most batches read back from disk)',
      () => new Spool({ dir: tmp(), maxMemoryRecords: 7, segmentBytes: 300 }),
    ],
  ])(
    'the cursor only passes a prefix of accepted batches; a rejected batch and all after it come again (%s)',
    (_name, make) => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              n: fc.integer({ min: 1, max: 30 }),
              act: fc.constantFrom('accept', 'reject', 'hold'),
            }),
            {
              minLength: 1,
              maxLength: 40,
            },
          ),
          fc.integer({ min: 1, max: 50 }),
          (steps, max) => {
            const s = make();
            const seen = new Set<string>();
            const held: SpoolBatch[] = [];
            let next = 0;
            for (const st of steps) {
              s.add(recs(next, st.n));
              next += st.n;
              const b = s.batch(max);
              if (!b) continue;
              for (const r of b.records) seen.add(r);
              if (st.act === 'accept') s.accept(b);
              else if (st.act === 'reject') s.reject(b);
              else held.push(b);
            }
            for (const b of held.reverse()) s.accept(b);
            const rest = drain(s, max);
            for (const r of rest) seen.add(r);
            // Every record delivered at least once, and after the drain nothing is left.
            expect([...seen].sort()).toEqual(recs(0, next).sort());
            expect(s.bytes).toBe(0);
            s.close();
          },
        ),
        { numRuns: 200 },
      );
    },
  );

  it('cuts a torn last record (the process died mid-append) and appends after it cleanly', () => {
    const dir = tmp();
    const a = open({ dir });
    a.add(recs(0, 3));
    a.close();
    const seg = readdirSync(dir).find((f) => f.endsWith('.log')) ?? '';
    appendFileSync(join(dir, seg), 'm,s=a value=9');
    const b = open({ dir });
    expect(b.tornBytes).toBe('m,s=a value=9'.length);
    b.add(recs(3, 2));
    expect(drain(b, 10)).toEqual(recs(0, 5));
  });

  it('the cursor file is replaced whole: a left-over cursor.tmp (crash before the rename) is ignored', () => {
    const dir = tmp();
    const a = open({ dir });
    addEach(a, 0, 10);
    a.accept(a.batch(4) as SpoolBatch);
    a.close();
    writeFileSync(join(dir, 'cursor.tmp'), '99999');
    expect(drain(open({ dir }), 100)).toEqual(recs(4, 6));
    // A garbled cursor (a power cut before the data reached the disk) means: deliver it all again.
    writeFileSync(join(dir, 'cursor'), 'garbage');
    expect(drain(open({ dir }), 100)).toEqual(recs(0, 10));
  });

  it('past maxBytes deletes the oldest segment and counts its records not yet delivered', () => {
    const dir = tmp();
    const one = Buffer.byteLength(recs(0, 1)[0] ?? '') + 1;
    const drops = new Map<string, number>();
    const s = open({ dir, maxBytes: one * 10, segmentBytes: one * 4, maxMemoryRecords: 4, drops });
    for (let i = 0; i < 16; i++) s.add(recs(i, 1));
    const got = drain(s, 100);
    expect(got.length + (drops.get('full') ?? 0)).toBe(16);
    expect(drops.get('full')).toBeGreaterThan(0);
    // The newest are kept: the drops are the oldest.
    expect(got).toEqual(recs(16 - got.length, got.length));
  });

  it('takes over a spool of the previous format (seg-*.lp, .pos) once: what was not replayed, in order', () => {
    const dir = tmp();
    const l = recs(0, 6);
    const first = `${l[0]}\n${l[1]}\n${l[2]}\n`;
    writeFileSync(join(dir, 'seg-0000000000000001.lp'), first);
    writeFileSync(join(dir, 'seg-0000000000000001.pos'), String(Buffer.byteLength(`${l[0]}\n`)));
    writeFileSync(join(dir, 'seg-0000000000000002.lp'), `${l[3]}\n${l[4]}\n${l[5]}\nm,s=a value=torn`);
    const s = open({ dir });
    expect(s.imported).toBe(5);
    expect(readdirSync(dir).filter((f) => f.startsWith('seg-'))).toEqual([]);
    s.close();
    expect(drain(open({ dir }), 100)).toEqual(recs(1, 5));
  });

  it('memory only: records past the bound are dropped, oldest first, and counted', () => {
    const drops = new Map<string, number>();
    const s = open({ maxMemoryRecords: 10, drops });
    for (let i = 0; i < 15; i++) s.add(recs(i, 1));
    expect(drain(s, 100)).toEqual(recs(5, 10));
    expect(drops.get('memory_full')).toBe(5);
  });

  it('group commit: many adds, one fdatasync, and onDurable passes the offset of each add', async () => {
    const dir = tmp();
    let syncs = 0;
    const durable: number[] = [];
    const s = open({
      dir,
      syncIntervalMs: 50,
      onDurable: (offset, ok) => ok && durable.push(offset),
      io: { fdatasync: (fd, cb) => (syncs++, fdatasync(fd, cb)) },
    });
    const ends: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = s.add(recs(i, 1));
      if (r.ok) ends.push(r.end);
    }
    expect(s.durable).toBe(0);
    await waitFor('durable', () => s.durable === ends.at(-1));
    expect(syncs).toBe(1);
    expect(durable).toEqual([ends.at(-1)]);
    s.close();
  });

  it('an append that fails (disk full) is reported, not thrown, leaves nothing torn, and later appends work', async () => {
    const dir = tmp();
    const errors: string[] = [];
    let full = false;
    const s = open({
      dir,
      errors,
      io: {
        writeSync: (fd, buf, off, len) => {
          if (!full) return writeSync(fd, buf, off, len);
          writeSync(fd, buf, off, Math.min(len, 5)); // part of it reached the file
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        },
      },
    });
    expect(s.add(recs(0, 2)).ok).toBe(true);
    full = true;
    const r = s.add(recs(2, 2));
    expect(r.ok).toBe(false);
    expect(errors).toEqual(['append: ENOSPC: no space left on device, write']);
    full = false;
    const after = s.add(recs(4, 2));
    expect(after.ok).toBe(true);
    await waitFor('durable', () => s.durable === s.end);
    s.close();
    expect(drain(open({ dir }), 100)).toEqual([...recs(0, 2), ...recs(4, 2)]);
    expect(existsSync(join(dir, 'cursor'))).toBe(true);
  });

  it('a failed fdatasync is reported and onDurable says not ok (the caller does not acknowledge)', async () => {
    const dir = tmp();
    const errors: string[] = [];
    const outcomes: boolean[] = [];
    const s = open({
      dir,
      errors,
      onDurable: (_o, ok) => outcomes.push(ok),
      io: {
        fdatasync: (_fd, cb) => cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })),
      },
    });
    s.add(recs(0, 1));
    await waitFor('sync outcome', () => outcomes.length === 1);
    expect(outcomes).toEqual([false]);
    expect(errors).toEqual(['sync: EIO: i/o error, fdatasync']);
    s.close();
  });
});
