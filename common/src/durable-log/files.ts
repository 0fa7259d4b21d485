/**
 * The files of a {@link SegmentLog} (log.ts): segments named by the log offset of their first
 * byte, and the committed cursor. Generic over newline-free records.
 *
 *   <dir>/0000000000000000.log    oldest segment; its first byte is log offset 0
 *   <dir>/0000000008388731.log    next segment, starting at log offset 8,388,731
 *   <dir>/cursor                  log offset up to which every record was accepted (delivered)
 *
 * A segment ends where the next one starts (the last one at its file size), so bytes a failed
 * append left behind the end are never read. `cursor` is replaced atomically (written to
 * `cursor.tmp`, then renamed over it): a crash leaves the old or the new value, never a mix.
 */
import {
  closeSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export interface Segment {
  /** Log offset of the segment's first byte. */
  start: number;
  /** Bytes in the segment that belong to the log. */
  size: number;
  /** Time of its last append, ms since the epoch (the file's mtime at open). */
  writtenAt: number;
}

const SEGMENT = /^(\d{16})\.log$/;
export const segmentPath = (dir: string, start: number): string =>
  join(dir, `${String(start).padStart(16, '0')}.log`);

/** The segments in `dir`, oldest first; each but the last ends where the next starts. */
export function scanSegments(dir: string): Segment[] {
  const segs: Segment[] = [];
  for (const f of readdirSync(dir)) {
    const m = SEGMENT.exec(f);
    if (!m) continue;
    const st = statSync(join(dir, f));
    segs.push({ start: Number(m[1]), size: st.size, writtenAt: st.mtimeMs });
  }
  segs.sort((a, b) => a.start - b.start);
  for (let i = 0; i + 1 < segs.length; i++) {
    const s = segs[i] as Segment;
    s.size = Math.min(s.size, (segs[i + 1] as Segment).start - s.start);
  }
  return segs;
}

/**
 * Cut a torn last record (the process died in the middle of an append: bytes after the last
 * newline) off the segment file. Returns the bytes cut.
 */
export function cutTornTail(dir: string, seg: Segment): number {
  if (seg.size === 0) return 0;
  const fd = openSync(segmentPath(dir, seg.start), 'r+');
  try {
    const win = Buffer.alloc(64 * 1024);
    for (let end = seg.size; end > 0;) {
      const from = Math.max(0, end - win.length);
      const got = readSync(fd, win, 0, end - from, from);
      const nl = win.subarray(0, got).lastIndexOf(10);
      if (nl >= 0) return cut(fd, seg, from + nl + 1);
      end = from;
    }
    return cut(fd, seg, 0);
  } finally {
    closeSync(fd);
  }
}

function cut(fd: number, seg: Segment, keep: number): number {
  const torn = seg.size - keep;
  if (torn > 0) ftruncateSync(fd, keep);
  seg.size = keep;
  return torn;
}

/** The committed cursor, or undefined when there is none (or it is not a number). */
export function readCursor(dir: string): number | undefined {
  try {
    const n = Number(readFileSync(join(dir, 'cursor'), 'utf8').trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Replace the cursor atomically. Throws on I/O errors. */
export function writeCursor(dir: string, offset: number): void {
  const tmp = join(dir, 'cursor.tmp');
  writeFileSync(tmp, String(offset));
  renameSync(tmp, join(dir, 'cursor'));
}

/**
 * Records from log offset `from` (a record start inside `seg`) up to `limit` (a record boundary),
 * at most `max` of them. Returns the records and the log offset after the last one.
 */
export function readRecords(
  dir: string,
  seg: Segment,
  from: number,
  limit: number,
  max: number,
): { records: string[]; end: number } {
  const fd = openSync(segmentPath(dir, seg.start), 'r');
  try {
    let want = Math.min(limit - from, Math.max(64 * 1024, max * 256));
    for (;;) {
      const buf = Buffer.alloc(want);
      const got = readSync(fd, buf, 0, want, from - seg.start);
      const records: string[] = [];
      let start = 0;
      while (records.length < max) {
        const nl = buf.indexOf(10, start);
        if (nl < 0 || nl >= got) break;
        records.push(buf.toString('utf8', start, nl));
        start = nl + 1;
      }
      if (records.length > 0 || got < want || want >= limit - from) return { records, end: from + start };
      // One record longer than the window: read a larger one.
      want = Math.min(limit - from, want * 4);
    }
  } finally {
    closeSync(fd);
  }
}

/** Records in `seg` from log offset `from` (a record start) to its end: counted for drops. */
export function countRecords(dir: string, seg: Segment, from: number): number {
  const buf = readFileSync(segmentPath(dir, seg.start)).subarray(from - seg.start, seg.size);
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return n;
}
