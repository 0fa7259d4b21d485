/**
 * The durable log (common/src/durable-log) as its users see it: what a reopened log delivers after
 * a torn write, after a kill -9 at each step of a commit, after a full disk; the size bound and
 * its drop count; both fsync policies; one write per event-loop turn. (The server's own spool
 * tests, test/server/spool.test.ts, cover order and at-least-once under any accept/reject order.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  fdatasync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentLog, type LogOptions } from '@yizhan/common/durable-log/log';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yz-dlog-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const recs = (from: number, n: number) => Array.from({ length: n }, (_, i) => `r${from + i}`);
const nextTurn = () => new Promise((r) => setImmediate(r));

/** Everything a log delivers, taken and accepted in batches of 7. */
function drain(log: SegmentLog): string[] {
  const out: string[] = [];
  for (let b = log.batch(7); b; b = log.batch(7)) {
    out.push(...b.records);
    log.accept(b);
  }
  return out;
}
const reopen = (dir: string, o: LogOptions = {}) => new SegmentLog({ dir, ...o });
const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.log'));

describe('SegmentLog after a crash', () => {
  // r0..r9 written as "r0\n" … "r9\n": 30 bytes, record i at bytes 3i..3i+2.
  it.each([
    { what: 'cut in the middle of the last record', size: 29, torn: 2, kept: 9 },
    { what: 'cut in the middle of the first record', size: 1, torn: 1, kept: 0 },
    { what: 'cut right after a record (nothing torn)', size: 15, torn: 0, kept: 5 },
  ])(
    'a segment $what: the torn bytes are cut, whole records delivered, appends go on',
    ({ size, torn, kept }) => {
      const dir = tmp();
      const a = reopen(dir);
      a.add(recs(0, 10));
      a.close();
      truncateSync(join(dir, segments(dir)[0] ?? ''), size);
      const b = reopen(dir);
      expect(b.tornBytes).toBe(torn);
      b.add(recs(10, 2));
      expect(drain(b)).toEqual([...recs(0, kept), ...recs(10, 2)]);
    },
  );

  it('garbage after the last newline (a write torn mid-record) is cut, not delivered', () => {
    const dir = tmp();
    const a = reopen(dir);
    a.add(recs(0, 3));
    a.close();
    appendFileSync(join(dir, segments(dir)[0] ?? ''), 'r99-half');
    const b = reopen(dir);
    expect(b.tornBytes).toBe('r99-half'.length);
    expect(drain(b)).toEqual(recs(0, 3));
  });

  // A real process (crash-child.ts) adds r0..r99, accepts r0..r39 and is killed at `point`.
  it.each([
    {
      point: 'after-write',
      delivered: recs(0, 100),
      why: 'written, never synced or committed: the page cache holds it',
    },
    {
      point: 'before-rename',
      delivered: recs(0, 100),
      why: 'cursor.tmp written, not renamed: the old (no) cursor holds',
    },
    {
      point: 'after-cursor',
      delivered: recs(40, 60),
      why: 'the cursor names r40: only what was not accepted comes again',
    },
  ])('kill -9 $point: $why', ({ point, delivered }) => {
    const dir = tmp();
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'crash-child.ts'), dir, point],
      { timeout: 20_000, encoding: 'utf8' },
    );
    expect(child.signal, child.stderr).toBe('SIGKILL');
    expect(drain(reopen(dir))).toEqual(delivered);
  });
});

describe('SegmentLog on a disk that refuses writes', () => {
  it('ENOSPC from the kernel (the segment is /dev/full): returned and counted, never thrown', () => {
    const dir = tmp();
    symlinkSync('/dev/full', join(dir, '0000000000000000.log'));
    const errors: string[] = [];
    const log = reopen(dir, {
      onError: (op, e) => errors.push(`${op}: ${(e as NodeJS.ErrnoException).code}`),
    });
    const r = log.add(recs(0, 3));
    expect(r.ok).toBe(false);
    expect(errors).toEqual(['append: ENOSPC']);
    expect(log.errors.append).toBe(1);
    expect(log.batch(10)).toBeUndefined();
    log.close();
  });

  it.each([
    { what: 'at once (add returns the error)', appendPerTurn: false },
    { what: 'per loop turn (onAppendFailed, onDurable not ok)', appendPerTurn: true },
  ])(
    'a failed append $what loses only its own records; the reader skips their offsets, before and after a restart',
    async ({ appendPerTurn }) => {
      const dir = tmp();
      let full = false;
      const failed: string[] = [];
      const durable: { offset: number; ok: boolean }[] = [];
      const log = reopen(dir, {
        appendPerTurn,
        syncIntervalMs: 1,
        onAppendFailed: (r) => failed.push(...r),
        onDurable: (offset, ok) => durable.push({ offset, ok }),
        io: {
          writeSync: (fd, buf, off, len) => {
            if (!full) return writeSync(fd, buf, off, len);
            writeSync(fd, buf, off, Math.min(len, 2)); // part of it reached the file
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          },
        },
      });
      log.add(recs(0, 3));
      await nextTurn();
      full = true;
      const lost = log.add(recs(3, 3));
      await nextTurn();
      full = false;
      const after = log.add(recs(6, 3));
      await nextTurn();
      if (appendPerTurn) {
        expect(failed).toEqual(recs(3, 3));
        expect(durable.find((d) => lost.ok && d.offset >= lost.end)?.ok).toBe(false);
      } else expect(lost.ok).toBe(false);
      expect(after.ok && after.end).toBeGreaterThan(0);
      expect(log.errors.append).toBe(1);
      const seen: string[] = [];
      for (let b = log.batch(7); b; b = log.batch(7)) seen.push(...b.records); // none accepted
      expect(seen).toEqual([...recs(0, 3), ...recs(6, 3)]);
      log.close();
      // Not accepted, so after a restart the same records again, the gap skipped.
      const again = reopen(dir);
      expect(drain(again)).toEqual([...recs(0, 3), ...recs(6, 3)]);
      expect([log.errors.read, again.errors.read]).toEqual([0, 0]);
      again.close();
    },
  );
});

describe('SegmentLog bound and policies', () => {
  it.each([
    { maxBytes: 30, segmentBytes: 12 },
    { maxBytes: 60, segmentBytes: 20 },
    { maxBytes: 100, segmentBytes: 9 },
  ])(
    'past $maxBytes bytes (segments of $segmentBytes) the oldest go, counted; the newest stay',
    ({ maxBytes, segmentBytes }) => {
      const drops: number[] = [];
      const log = reopen(tmp(), {
        maxBytes,
        segmentBytes,
        maxMemoryRecords: 3,
        onDropped: (n) => drops.push(n),
      });
      for (let i = 10; i < 60; i++) log.add([`r${i}`]); // 4 bytes each
      const got = drain(log);
      const dropped = drops.reduce((a, b) => a + b, 0);
      expect(dropped).toBeGreaterThan(0);
      expect(log.drops.full).toBe(dropped);
      expect(got.length + dropped).toBe(50);
      expect(got).toEqual(recs(60 - got.length, got.length));
      expect(got.length * 4).toBeLessThanOrEqual(maxBytes + segmentBytes);
    },
  );

  it('past maxAgeMs the segments written before go at the next append, counted; the newest stay', () => {
    const drops: number[] = [];
    vi.useFakeTimers({ toFake: ['Date'] });
    const log = reopen(tmp(), { maxAgeMs: 60_000, segmentBytes: 8, onDropped: (n) => drops.push(n) });
    for (let i = 10; i < 20; i++) log.add([`r${i}`]); // 4 bytes each: five segments of two
    vi.setSystemTime(Date.now() + 61_000);
    log.add(['r20']);
    vi.useRealTimers();
    expect(drops.reduce((a, b) => a + b, 0)).toBe(10);
    expect(log.drops.full).toBe(10);
    expect(drain(log)).toEqual(['r20']);
    log.close();
  });

  it.each([
    { fsync: 'group' as const, syncs: 1 },
    { fsync: 'none' as const, syncs: 0 },
  ])(
    'fsync $fsync: $syncs fdatasync for 100 adds, and onDurable reaches the end',
    async ({ fsync, syncs }) => {
      let n = 0;
      const durable: number[] = [];
      const log = reopen(tmp(), {
        fsync,
        syncIntervalMs: 30,
        onDurable: (o, ok) => ok && durable.push(o),
        io: { fdatasync: (fd, cb) => (n++, fdatasync(fd, cb)) },
      });
      for (let i = 0; i < 100; i++) log.add(recs(i, 1));
      if (fsync === 'none') expect(log.durable).toBe(log.end);
      else expect(log.durable).toBe(0);
      await expect.poll(() => log.durable).toBe(log.end);
      expect(n).toBe(syncs);
      log.close();
    },
  );

  it('appendPerTurn: every add of a turn in one write; readable and committed after it', async () => {
    const dir = tmp();
    let writes = 0;
    const log = reopen(dir, {
      appendPerTurn: true,
      io: { writeSync: (fd, b, o, l) => (writes++, writeSync(fd, b, o, l)) },
    });
    for (let i = 0; i < 50; i++) log.add(recs(i, 1));
    expect(log.batch(100)).toBeUndefined();
    await nextTurn();
    expect(writes).toBe(1);
    expect(statSync(join(dir, segments(dir)[0] ?? '')).size).toBe(log.end);
    expect(drain(log)).toEqual(recs(0, 50));
    log.close();
  });

  it('Telegraf-shaped: a rejected batch and every one after it come again; accepted ones never', () => {
    const dir = tmp();
    const log = reopen(dir);
    for (const r of recs(0, 10)) log.add([r]); // a batch from memory holds whole adds
    const a = log.batch(3);
    const b = log.batch(3);
    const c = log.batch(3);
    if (!a || !b || !c) throw new Error('expected three batches');
    log.accept(a);
    log.accept(c);
    log.reject(b);
    expect(drain(log)).toEqual(recs(3, 7));
    log.close();
    expect(drain(reopen(dir))).toEqual([]);
  });
});
