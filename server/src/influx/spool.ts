/**
 * Durable, append-only on-disk spool of line-protocol lines, for when InfluxDB is down or slow.
 *
 *   <dir>/seg-0000000000000001.lp   oldest segment (being replayed)
 *   <dir>/seg-0000000000000001.pos  bytes of that segment already written to InfluxDB
 *   <dir>/seg-0000000000000002.lp   newest segment (being appended to)
 *
 * Lines are appended in arrival order (synchronous appends: a line is in the file when `append`
 * returns, so it survives a crash of the process; not fsynced, so not a power cut). Replay reads the
 * oldest segment from its `.pos` offset in order; `commit` advances the offset after InfluxDB
 * accepted a batch and deletes a segment once it is fully replayed. Replaying a batch twice (crash
 * between write and commit) is harmless: a point with the same series and timestamp overwrites.
 * The spool is bounded by `maxBytes`: lines beyond are refused (`append` returns how many were
 * taken) and the caller counts them as dropped. A torn last line (crash mid-append) is skipped and
 * counted in `tornLines`.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export interface SpoolOptions {
  /** Folder of the segments (created when missing). */
  dir: string;
  /** Largest total size of all segments, bytes. Default {@link DEFAULT_SPOOL_MAX_BYTES}. */
  maxBytes?: number;
  /** A segment is closed for appends past this size, bytes. Default {@link DEFAULT_SPOOL_SEGMENT_BYTES}. */
  segmentBytes?: number;
}

/** 1 GiB. */
export const DEFAULT_SPOOL_MAX_BYTES = 1024 * 1024 * 1024;
/** 8 MiB. */
export const DEFAULT_SPOOL_SEGMENT_BYTES = 8 * 1024 * 1024;

/** A batch read from the spool; hand it back to {@link Spool.commit} once written. */
export interface SpoolBatch {
  lines: string[];
  segment: number;
  /** Offset after the last line of the batch. */
  end: number;
}

const SEG = /^seg-(\d{16})\.lp$/;
const name = (n: number) => `seg-${String(n).padStart(16, '0')}`;

export class Spool {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  /** Segment numbers, oldest first; the last one takes appends. */
  private segments: number[] = [];
  /** Bytes per segment file. */
  private readonly sizes = new Map<number, number>();
  /** Replay offset in the oldest segment. */
  private pos = 0;
  private total = 0;
  /** Lines skipped because the process died while appending them. */
  tornLines = 0;
  /** The last segment ends in a torn line: appends go to a new segment. */
  private sealLast = false;
  /**
   * The segment taking appends, kept open: a spill happens once per message while InfluxDB is
   * slower than the input, and opening and closing the file each time tripled its cost.
   */
  private appendFd: { seg: number; fd: number } | undefined;

  constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SPOOL_SEGMENT_BYTES;
    mkdirSync(this.dir, { recursive: true });
    for (const f of readdirSync(this.dir)) {
      const m = SEG.exec(f);
      if (!m) continue;
      const n = Number(m[1]);
      const size = statSync(join(this.dir, f)).size;
      this.segments.push(n);
      this.sizes.set(n, size);
      this.total += size;
    }
    this.segments.sort((a, b) => a - b);
    const last = this.segments.at(-1);
    if (last !== undefined && (this.sizes.get(last) ?? 0) > 0) {
      const fd = openSync(this.path(last, '.lp'), 'r');
      const b = Buffer.alloc(1);
      try {
        readSync(fd, b, 0, 1, (this.sizes.get(last) ?? 1) - 1);
      } finally {
        closeSync(fd);
      }
      this.sealLast = b[0] !== 10;
    }
    const first = this.segments[0];
    if (first !== undefined) {
      try {
        this.pos = Number(readFileSync(this.path(first, '.pos'), 'utf8')) || 0;
      } catch {
        this.pos = 0;
      }
    }
  }

  /** Bytes on disk not yet replayed. */
  get bytes(): number {
    return this.total - this.pos;
  }

  get empty(): boolean {
    return this.bytes <= 0;
  }

  /**
   * Append lines (in order). Returns how many were taken: fewer than given when the spool is full
   * (the rest are the caller's to count as dropped). Throws on I/O errors (disk full, permissions).
   */
  append(lines: readonly string[]): number {
    if (lines.length === 0) return 0;
    let taken = 0;
    let chunk = '';
    let chunkBytes = 0;
    for (const line of lines) {
      const b = Buffer.byteLength(line) + 1;
      if (this.total + chunkBytes + b > this.maxBytes) break;
      chunk += line + '\n';
      chunkBytes += b;
      taken++;
    }
    if (taken === 0) return 0;
    let last = this.segments.at(-1);
    if (last === undefined || this.sealLast || (this.sizes.get(last) ?? 0) >= this.segmentBytes) {
      this.sealLast = false;
      last = (last ?? 0) + 1;
      this.segments.push(last);
      this.sizes.set(last, 0);
    }
    this.appendTo(last, chunk);
    this.sizes.set(last, (this.sizes.get(last) ?? 0) + chunkBytes);
    this.total += chunkBytes;
    return taken;
  }

  /** Close the file kept open for appends (the next append opens it again). */
  close(): void {
    const a = this.appendFd;
    this.appendFd = undefined;
    if (a) closeSync(a.fd);
  }

  private appendTo(seg: number, chunk: string): void {
    if (this.appendFd?.seg !== seg) {
      this.close();
      this.appendFd = { seg, fd: openSync(this.path(seg, '.lp'), 'a') };
    }
    try {
      const buf = Buffer.from(chunk);
      for (let off = 0; off < buf.length;) off += writeSync(this.appendFd.fd, buf, off, buf.length - off);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Up to `max` lines from the replay position, in order; undefined when empty. */
  read(max: number): SpoolBatch | undefined {
    for (;;) {
      const seg = this.segments[0];
      if (seg === undefined) return undefined;
      const size = this.sizes.get(seg) ?? 0;
      if (this.pos >= size) {
        this.dropSegment(seg);
        continue;
      }
      // Read a window big enough for `max` typical lines, then cut at the last newline.
      const want = Math.min(size - this.pos, Math.max(64 * 1024, max * 256));
      const buf = Buffer.alloc(want);
      const fd = openSync(this.path(seg, '.lp'), 'r');
      let got: number;
      try {
        got = readSync(fd, buf, 0, want, this.pos);
      } finally {
        closeSync(fd);
      }
      const text = buf.subarray(0, got);
      const lines: string[] = [];
      let start = 0;
      while (lines.length < max) {
        const nl = text.indexOf(10, start);
        if (nl < 0) break;
        if (nl > start) lines.push(text.toString('utf8', start, nl));
        start = nl + 1;
      }
      if (lines.length === 0) {
        if (this.pos + got >= size) {
          // Only a torn line (no newline) is left in this segment.
          this.tornLines++;
          this.pos = size;
          continue;
        }
        // A single line longer than the window: read it whole.
        const all = readFileSync(this.path(seg, '.lp'));
        const nl = all.indexOf(10, this.pos);
        const end = nl < 0 ? size : nl + 1;
        return { lines: [all.toString('utf8', this.pos, nl < 0 ? size : nl)], segment: seg, end };
      }
      return { lines, segment: seg, end: this.pos + start };
    }
  }

  /** Mark a batch from {@link read} as written: advances the replay position durably. */
  commit(batch: SpoolBatch): void {
    if (this.segments[0] !== batch.segment || batch.end <= this.pos) return;
    this.pos = batch.end;
    const size = this.sizes.get(batch.segment) ?? 0;
    if (this.pos >= size) this.dropSegment(batch.segment);
    else writeFileSync(this.path(batch.segment, '.pos'), String(this.pos));
  }

  private dropSegment(seg: number): void {
    if (this.appendFd?.seg === seg) this.close();
    const size = this.sizes.get(seg) ?? 0;
    for (const ext of ['.lp', '.pos'] as const)
      try {
        unlinkSync(this.path(seg, ext));
      } catch {
        /* already gone */
      }
    this.total -= size;
    this.sizes.delete(seg);
    this.segments = this.segments.filter((s) => s !== seg);
    // Only the oldest segment ever has a replay position; the next one starts at 0.
    this.pos = 0;
  }

  private path(seg: number, ext: '.lp' | '.pos'): string {
    return join(this.dir, name(seg) + ext);
  }
}
