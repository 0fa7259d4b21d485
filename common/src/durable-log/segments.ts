/**
 * The segment files of a {@link SegmentLog} (log.ts): appends to the last segment, the group-commit
 * fdatasync of everything appended since the previous one, reads, and deletions. File names and
 * the cursor: files.ts.
 *
 * A failed append leaves a gap in the log offsets (they are never reused: an acknowledgement may
 * wait on them); the next append starts a new segment after the gap, and a read skips it.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { countRecords, cutTornTail, readRecords, scanSegments, segmentPath, type Segment } from './files.js';
import type { LogIo, LogOp } from './types.js';

export class SegmentFiles {
  readonly segments: Segment[];
  /** Bytes of a torn last record cut off at open. */
  readonly tornBytes: number;
  private fd: number | undefined;
  /** Segments rolled over since the last group commit: synced, then closed. */
  private rolled: number[] = [];
  private dirDirty = false;
  /** The last segment takes no more appends (one failed): the next append starts a new one. */
  private sealed = false;

  constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    private readonly io: LogIo,
    private readonly onError: (op: LogOp, err: Error) => void,
  ) {
    this.segments = scanSegments(dir);
    const last = this.segments.at(-1);
    this.tornBytes = last ? cutTornTail(dir, last) : 0;
  }

  /** Log offset after the last segment's last byte (undefined when there is no segment). */
  get end(): number | undefined {
    const last = this.segments.at(-1);
    return last && last.start + last.size;
  }

  /** Append `buf` at log offset `at` (the end of the log). Returns the error, if any. */
  append(buf: Buffer, at: number): Error | undefined {
    try {
      let last = this.segments.at(-1);
      if (!last || this.sealed || last.size >= this.segmentBytes) {
        if (this.fd !== undefined) this.rolled.push(this.fd);
        this.fd = undefined;
        this.sealed = false;
        // An empty last segment takes the name of `at` ('w' drops what a failed write left).
        if (!last || last.size > 0)
          this.segments.push((last = { start: at, size: 0, writtenAt: Date.now() }));
        else if (last.start !== at) {
          renameSync(segmentPath(this.dir, last.start), segmentPath(this.dir, at));
          last.start = at;
        }
        this.fd = openSync(segmentPath(this.dir, last.start), 'w');
        this.dirDirty = true;
      } else if (this.fd === undefined) {
        this.fd = openSync(segmentPath(this.dir, last.start), 'a');
      }
      for (let off = 0; off < buf.length;) {
        const n = this.io.writeSync(this.fd, buf, off, buf.length - off);
        if (n <= 0) throw new Error(`short write: ${off} of ${buf.length} bytes written (disk full?)`);
        off += n;
      }
      last.size += buf.length;
      last.writtenAt = Date.now();
      return undefined;
    } catch (e) {
      // A partial write is cut off (or, when that fails too, stays behind the segment's end, where
      // a read skips it); appends go to a new segment.
      const last = this.segments.at(-1);
      if (this.fd !== undefined && last) cutBack(this.fd, last.size);
      if (this.fd !== undefined) this.rolled.push(this.fd);
      this.fd = undefined;
      this.sealed = true;
      this.onError('append', e as Error);
      return e as Error;
    }
  }

  /** fdatasync everything appended so far (and the folder after a new segment); `done(ok)`. */
  sync(done: (ok: boolean) => void): void {
    const rolled = this.rolled;
    this.rolled = [];
    const fds = [...rolled, ...(this.fd === undefined ? [] : [this.fd])];
    let ok = this.syncDir();
    let left = fds.length;
    const finish = () => {
      for (const fd of rolled) this.closeFd(fd);
      done(ok);
    };
    if (left === 0) return finish();
    for (const fd of fds)
      this.io.fdatasync(fd, (err) => {
        if (err) {
          ok = false;
          this.onError('sync', err);
        }
        if (--left === 0) finish();
      });
  }

  /** Synchronous final sync and close (shutdown). */
  close(): boolean {
    let ok = this.syncDir();
    for (const fd of [...this.rolled, ...(this.fd === undefined ? [] : [this.fd])]) {
      try {
        fsyncSync(fd);
      } catch (e) {
        ok = false;
        this.onError('sync', e as Error);
      }
      this.closeFd(fd);
    }
    this.rolled = [];
    this.fd = undefined;
    return ok;
  }

  /** Records from log offset `pos` up to `limit` (and the end of pos's segment), at most `max`. */
  read(pos: number, limit: number, max: number): { records: string[]; end: number; limit: number } {
    let i = this.segments.length - 1;
    while (i > 0 && (this.segments[i] as Segment).start > pos) i--;
    const seg = this.segments[i];
    if (!seg) throw new Error(`no segment holds log offset ${pos}`);
    // Before the first segment (a gap whose segment was deleted): skip to it.
    if (seg.start > pos) return { records: [], end: Math.min(seg.start, limit), limit };
    if (pos >= seg.start + seg.size) {
      // A gap a failed append left: nothing to read up to the next segment.
      const next = this.segments[i + 1]?.start ?? limit;
      if (next > pos) return { records: [], end: Math.min(next, limit), limit };
    }
    const lim = Math.min(seg.start + seg.size, limit);
    const r = readRecords(this.dir, seg, pos, lim, max);
    const next = this.segments[i + 1];
    // No newline up to the end of a segment followed by another: a write torn by a failed append.
    if (r.records.length === 0 && next && lim === seg.start + seg.size)
      return { records: [], end: Math.min(next.start, limit), limit };
    if (r.records.length === 0)
      throw new Error(`no record at log offset ${pos} in ${segmentPath(this.dir, seg.start)}`);
    return { ...r, limit: lim };
  }

  /**
   * The oldest segment when the log spans more than `maxBytes` up to `end`, or when its last append
   * is older than `maxAgeMs` (never the last segment).
   */
  overBound(maxBytes: number, end: number, maxAgeMs = Infinity): Segment | undefined {
    const first = this.segments[0];
    if (this.segments.length < 2 || !first) return undefined;
    return end - first.start > maxBytes || Date.now() - first.writtenAt > maxAgeMs ? first : undefined;
  }

  /** Records of `seg` from log offset `from` on. */
  count(seg: Segment, from: number): number {
    return countRecords(this.dir, seg, Math.max(seg.start, from));
  }

  /** Delete the oldest segment (never the one taking appends). */
  deleteOldest(): void {
    const seg = this.segments.length > 1 ? this.segments.shift() : undefined;
    if (!seg) return;
    try {
      unlinkSync(segmentPath(this.dir, seg.start));
    } catch (e) {
      this.onError('delete', e as Error);
    }
  }

  /** Delete the segments that end at or before `offset` (never the one taking appends). */
  deleteUpTo(offset: number): void {
    while (this.segments.length > 1) {
      const seg = this.segments[0] as Segment;
      if (seg.start + seg.size > offset) return;
      this.deleteOldest();
    }
  }

  private syncDir(): boolean {
    if (!this.dirDirty) return true;
    this.dirDirty = false;
    try {
      const d = openSync(this.dir, 'r');
      try {
        fsyncSync(d);
      } finally {
        closeSync(d);
      }
      return true;
    } catch (e) {
      this.onError('sync', e as Error);
      return false;
    }
  }

  private closeFd(fd: number): void {
    try {
      closeSync(fd);
    } catch (e) {
      this.onError('sync', e as Error);
    }
  }
}

/** Cut what a failed write left after `size` bytes; a failure here is left to the reader. */
function cutBack(fd: number, size: number): void {
  try {
    ftruncateSync(fd, size);
  } catch {
    // The reader skips a torn stretch at a segment's end (read()).
  }
}
