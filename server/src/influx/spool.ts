/**
 * A write-ahead log of records (strings without a newline) with group commit, shaped like
 * Telegraf's output buffer: `add` records, take a `batch`, then `accept` it (delivered) or
 * `reject` it (deliver again later). Generic: no server imports.
 *
 * - Every added record is appended to a segment file at once (synchronous write: it survives a
 *   crash of the process) and made durable by a group commit: one fdatasync for all records added
 *   in the last `syncIntervalMs`, or sooner once `syncBytes` wait. `onDurable(offset, ok)` then
 *   says that everything up to log offset `offset` is on disk (`ok` false: the fdatasync failed).
 *   `add` returns the log offset after its records; a caller acknowledges its input once
 *   `onDurable` passed that offset.
 * - Batches come from memory while the records are still there (the newest `maxMemoryRecords`),
 *   else from disk: records memory gave up (a long InfluxDB outage) and those of a previous run.
 * - `accept` moves the committed cursor over the longest prefix of accepted batches (batches may
 *   be delivered concurrently and finish in any order); the cursor is written atomically
 *   (spool-files.ts) with the next group commit, and segments wholly behind it are deleted.
 *   After a crash, records past the cursor are delivered again: at-least-once.
 * - Bounded: past `maxBytes` on disk the oldest segment is deleted and its records not yet
 *   accepted are reported to `onDropped(n, 'full')`.
 * - A torn last record (the process died mid-append) is cut off when the spool is opened.
 * - I/O errors never throw out of `add`, `batch`, `accept` or the group commit: they go to
 *   `onError`; a failed `add` returns `ok: false` (its records are not in the log).
 *
 * Without `dir` the spool lives in memory only: records count as durable when added, and those
 * past `maxMemoryRecords` are dropped, oldest first (`onDropped(n, 'memory_full')`).
 *
 * Log offsets are byte offsets into the whole log (across segments), so the cursor and every
 * acknowledgement are one number.
 */
import { closeSync, fdatasync, fsyncSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import {
  countRecords,
  cutTornTail,
  readCursor,
  readRecords,
  scanSegments,
  segmentPath,
  writeCursor,
  type Segment,
} from './spool-files.js';

/** 1 GiB. */
export const DEFAULT_SPOOL_MAX_BYTES = 1024 ** 3;
/** 8 MiB. */
export const DEFAULT_SPOOL_SEGMENT_BYTES = 8 * 1024 ** 2;
/** Group commit: at most one fdatasync per this many ms. */
export const DEFAULT_SPOOL_SYNC_INTERVAL_MS = 10;
/** Group commit: sync at once when this many bytes wait. 1 MiB. */
export const DEFAULT_SPOOL_SYNC_BYTES = 1024 ** 2;
/** Records kept in memory for delivery without a disk read. */
export const DEFAULT_SPOOL_MEMORY_RECORDS = 50_000;

export type SpoolDropReason = 'full' | 'memory_full';
export type SpoolOp = 'open' | 'append' | 'sync' | 'read' | 'cursor' | 'delete';

/** File operations the spool uses; replaceable to inject I/O errors in tests. */
export interface SpoolIo {
  writeSync(fd: number, buf: Buffer, off: number, len: number): number;
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
}

export interface SpoolOptions {
  /** Folder of the segments (created when missing); none: memory only. */
  dir?: string;
  /** Largest size of all segments, bytes. Default {@link DEFAULT_SPOOL_MAX_BYTES}. */
  maxBytes?: number;
  /** A new segment starts past this size, bytes. Default {@link DEFAULT_SPOOL_SEGMENT_BYTES}. */
  segmentBytes?: number;
  syncIntervalMs?: number;
  syncBytes?: number;
  maxMemoryRecords?: number;
  /** After each group commit: durable up to `offset`; `ok` false when the sync failed; its duration. */
  onDurable?: (offset: number, ok: boolean, syncMs: number) => void;
  onDropped?: (records: number, reason: SpoolDropReason) => void;
  onError?: (op: SpoolOp, err: Error) => void;
  io?: Partial<SpoolIo>;
}

/** Records taken by {@link Spool.batch}; hand it back to accept or reject. */
export interface SpoolBatch {
  records: string[];
  /** Log offsets of its first byte and after its last. */
  start: number;
  end: number;
  /** Read from disk (not from memory). */
  fromDisk: boolean;
  done?: boolean;
}

interface Chunk {
  start: number;
  end: number;
  records: readonly string[];
}

export class Spool {
  readonly dir: string | undefined;
  private readonly o: Required<Omit<SpoolOptions, 'dir' | 'onDurable' | 'io'>> &
    Pick<SpoolOptions, 'onDurable'>;
  private readonly io: SpoolIo;
  private segments: Segment[] = [];
  private fd: number | undefined;
  /** Segments rolled over since the last group commit: synced, then closed. */
  private rolled: number[] = [];
  private dirDirty = false;
  /** The last segment takes no more appends (one failed): the next append starts a new one. */
  private sealed = false;
  private appendEnd = 0;
  private synced = 0;
  private cursor = 0;
  private savedCursor = -1;
  private readPos = 0;
  /** Memory: chunks (one per add) from `head`; `next` is the first not yet batched. */
  private chunks: Chunk[] = [];
  private head = 0;
  private next = 0;
  private memRecords = 0;
  private unreadRecords = 0;
  private inflight: SpoolBatch[] = [];
  private syncing = false;
  private timer: NodeJS.Timeout | undefined;
  private lastSyncAt = 0;
  private closed = false;
  /** Bytes of a torn last record cut off at open. */
  readonly tornBytes: number = 0;

  constructor(opts: SpoolOptions = {}) {
    this.dir = opts.dir;
    this.o = {
      maxBytes: opts.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES,
      segmentBytes: opts.segmentBytes ?? DEFAULT_SPOOL_SEGMENT_BYTES,
      syncIntervalMs: opts.syncIntervalMs ?? DEFAULT_SPOOL_SYNC_INTERVAL_MS,
      syncBytes: opts.syncBytes ?? DEFAULT_SPOOL_SYNC_BYTES,
      maxMemoryRecords: opts.maxMemoryRecords ?? DEFAULT_SPOOL_MEMORY_RECORDS,
      onDurable: opts.onDurable,
      onDropped: opts.onDropped ?? (() => {}),
      onError: opts.onError ?? (() => {}),
    };
    this.io = { writeSync, fdatasync, ...opts.io };
    if (this.dir === undefined) return;
    mkdirSync(this.dir, { recursive: true });
    this.segments = scanSegments(this.dir);
    const last = this.segments.at(-1);
    if (last) this.tornBytes = cutTornTail(this.dir, last);
    const first = this.segments[0];
    const saved = readCursor(this.dir);
    this.appendEnd = last ? last.start + last.size : (saved ?? 0);
    this.cursor = Math.min(this.appendEnd, Math.max(first?.start ?? this.appendEnd, saved ?? 0));
    this.savedCursor = saved ?? -1;
    this.synced = this.appendEnd;
    this.readPos = this.cursor;
    this.deleteBehindCursor();
  }

  /** Bytes in the log not yet accepted. */
  get bytes(): number {
    return this.appendEnd - this.cursor;
  }

  /** Records waiting for a batch: in memory, plus whether older ones wait on disk. */
  get unread(): { memory: number; disk: boolean } {
    return { memory: this.unreadRecords, disk: this.readPos < this.memStart };
  }

  /** Records held in memory (not yet accepted). */
  get memoryRecords(): number {
    return this.memRecords;
  }

  /** Log offset after the last added record. */
  get end(): number {
    return this.appendEnd;
  }

  /** Log offset up to which everything is durable. */
  get durable(): number {
    return this.synced;
  }

  private get memStart(): number {
    return this.chunks[this.head]?.start ?? this.appendEnd;
  }

  /** Append records. `end`: the log offset after them (acknowledge once onDurable passed it). */
  add(records: readonly string[]): { ok: true; end: number } | { ok: false; error: Error } {
    if (this.closed) return { ok: false, error: new Error('spool closed') };
    if (records.length === 0) return { ok: true, end: this.appendEnd };
    const buf = Buffer.from(records.join('\n') + '\n');
    const start = this.appendEnd;
    if (this.dir !== undefined) {
      const err = this.append(buf);
      if (err) return { ok: false, error: err };
    }
    this.appendEnd += buf.length;
    this.chunks.push({ start, end: this.appendEnd, records });
    this.memRecords += records.length;
    this.unreadRecords += records.length;
    this.evictMemory();
    if (this.dir === undefined) {
      this.synced = this.appendEnd;
      this.o.onDurable?.(this.synced, true, 0);
    } else {
      this.dropOverBound();
      this.scheduleSync();
    }
    return { ok: true, end: this.appendEnd };
  }

  private append(buf: Buffer): Error | undefined {
    const dir = this.dir as string;
    try {
      let last = this.segments.at(-1);
      if (!last || this.sealed || last.size >= this.o.segmentBytes) {
        if (this.fd !== undefined) this.rolled.push(this.fd);
        this.fd = undefined;
        this.sealed = false;
        // An empty last segment starts at appendEnd: reuse its name ('w' drops what a failed write left).
        if (!last || last.size > 0) this.segments.push((last = { start: this.appendEnd, size: 0 }));
        this.fd = openSync(segmentPath(dir, last.start), 'w');
        this.dirDirty = true;
      } else if (this.fd === undefined) {
        this.fd = openSync(segmentPath(dir, last.start), 'a');
      }
      for (let off = 0; off < buf.length;) off += this.io.writeSync(this.fd, buf, off, buf.length - off);
      last.size += buf.length;
      return undefined;
    } catch (e) {
      // A partial write stays behind the segment's end (never read): appends go to a new segment.
      if (this.fd !== undefined) this.rolled.push(this.fd);
      this.fd = undefined;
      this.sealed = true;
      const err = e as Error;
      this.o.onError('append', err);
      return err;
    }
  }

  /** Up to `max` records from the read position, in order; undefined when none wait. */
  batch(max: number): SpoolBatch | undefined {
    if (this.readPos >= this.appendEnd || max <= 0) return undefined;
    let b: SpoolBatch;
    if (this.readPos < this.memStart) {
      const r = this.readDisk(max);
      if (!r) return this.batch(max);
      b = r;
    } else {
      const records: string[] = [];
      const start = this.readPos;
      while (this.next < this.chunks.length) {
        const c = this.chunks[this.next] as Chunk;
        if (records.length > 0 && records.length + c.records.length > max) break;
        for (const r of c.records) records.push(r);
        this.readPos = c.end;
        this.next++;
      }
      this.unreadRecords -= records.length;
      b = { records, start, end: this.readPos, fromDisk: false };
    }
    this.inflight.push(b);
    return b;
  }

  private readDisk(max: number): SpoolBatch | undefined {
    const dir = this.dir as string;
    const i = this.segmentAt(this.readPos);
    const seg = this.segments[i];
    if (!seg) return undefined;
    const limit = Math.min(seg.start + seg.size, this.memStart);
    try {
      const { records, end } = readRecords(dir, seg, this.readPos, limit, max);
      if (records.length === 0)
        throw new Error(`no record at log offset ${this.readPos} in ${segmentPath(dir, seg.start)}`);
      const b = { records, start: this.readPos, end, fromDisk: true };
      this.readPos = end;
      return b;
    } catch (e) {
      // Unreadable: skip to the end of what this read covered, so delivery never stalls on it.
      this.o.onError('read', e as Error);
      const skipped: SpoolBatch = { records: [], start: this.readPos, end: limit, fromDisk: true };
      this.readPos = limit;
      this.inflight.push(skipped);
      this.accept(skipped);
      return undefined;
    }
  }

  /** The batch was delivered: the cursor moves over every accepted batch before it too. */
  accept(b: SpoolBatch): void {
    b.done = true;
    let n = 0;
    while (this.inflight[n]?.done) n++;
    if (n === 0) return;
    for (const done of this.inflight.splice(0, n)) this.cursor = Math.max(this.cursor, done.end);
    while (this.head < this.next && (this.chunks[this.head] as Chunk).end <= this.cursor) {
      this.memRecords -= (this.chunks[this.head] as Chunk).records.length;
      this.head++;
    }
    this.compact();
    this.scheduleSync();
  }

  /** The batch was not delivered: it (and everything after it) comes again from the next batch. */
  reject(b: SpoolBatch): void {
    const i = this.inflight.indexOf(b);
    if (i < 0) return;
    const again = this.inflight.splice(i);
    if (this.dir === undefined) {
      // Memory only: records memory gave up while their batch was out are gone now.
      let lost = 0;
      for (const x of again) lost += recordsBefore(x, this.memStart);
      if (lost > 0) this.o.onDropped(lost, 'memory_full');
    }
    this.seek(Math.max(b.start, this.cursor, this.dir === undefined ? this.memStart : 0));
  }

  /** Move the read position (a record boundary) and the memory read index with it. */
  private seek(pos: number): void {
    this.readPos = pos;
    this.next = this.chunkAt(pos);
    this.unreadRecords = 0;
    for (let j = this.next; j < this.chunks.length; j++)
      this.unreadRecords += (this.chunks[j] as Chunk).records.length;
  }

  /** Memory only: every record not yet accepted (for counting at shutdown). */
  pendingInMemory(): string[] {
    const out: string[] = [];
    for (let j = this.head; j < this.chunks.length; j++)
      for (const r of (this.chunks[j] as Chunk).records) out.push(r);
    return out;
  }

  /** Final group commit and cursor; the spool takes no more records. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    if (this.dir === undefined) return;
    const fds = [...this.rolled, ...(this.fd === undefined ? [] : [this.fd])];
    let ok = true;
    for (const fd of fds) {
      try {
        fsyncSync(fd);
      } catch (e) {
        ok = false;
        this.o.onError('sync', e as Error);
      }
      closeSync(fd);
    }
    this.rolled = [];
    this.fd = undefined;
    this.saveCursor();
    this.deleteBehindCursor();
    if (this.synced < this.appendEnd) {
      this.synced = this.appendEnd;
      this.o.onDurable?.(this.synced, ok, 0);
    }
  }

  private evictMemory(): void {
    while (this.memRecords > this.o.maxMemoryRecords && this.head < this.chunks.length) {
      const c = this.chunks[this.head] as Chunk;
      this.memRecords -= c.records.length;
      if (this.head >= this.next) {
        this.unreadRecords -= c.records.length;
        this.next++;
        if (this.dir === undefined) {
          this.o.onDropped(c.records.length, 'memory_full');
          this.readPos = c.end;
          this.cursor = Math.max(this.cursor, c.end);
        }
      }
      this.head++;
    }
    this.compact();
  }

  /** Past maxBytes: delete the oldest segment; its records not yet accepted are dropped. */
  private dropOverBound(): void {
    const dir = this.dir as string;
    while (
      this.segments.length > 1 &&
      this.appendEnd - (this.segments[0] as Segment).start > this.o.maxBytes
    ) {
      const seg = this.segments[0] as Segment;
      const segEnd = seg.start + seg.size;
      if (this.cursor < segEnd) {
        try {
          this.o.onDropped(countRecords(dir, seg, Math.max(seg.start, this.cursor)), 'full');
        } catch (e) {
          this.o.onError('read', e as Error);
        }
        this.cursor = segEnd;
        this.inflight = this.inflight.filter((b) => b.start >= segEnd);
        while (this.head < this.chunks.length && (this.chunks[this.head] as Chunk).end <= segEnd) {
          this.memRecords -= (this.chunks[this.head] as Chunk).records.length;
          this.head++;
        }
        if (this.readPos < segEnd) this.seek(segEnd);
        else this.next = Math.max(this.next, this.head);
      }
      this.deleteSegment(seg);
    }
  }

  /** Delete the segments that end at or before the cursor (never the one taking appends). */
  private deleteBehindCursor(): void {
    while (this.segments.length > 1) {
      const seg = this.segments[0] as Segment;
      if (seg.start + seg.size > this.cursor) return;
      this.deleteSegment(seg);
    }
  }

  private deleteSegment(seg: Segment): void {
    this.segments.shift();
    try {
      unlinkSync(segmentPath(this.dir as string, seg.start));
    } catch (e) {
      this.o.onError('delete', e as Error);
    }
  }

  private scheduleSync(): void {
    if (this.dir === undefined || this.syncing || this.timer || this.closed) return;
    const pending = this.appendEnd - this.synced;
    if (pending <= 0 && this.cursor === this.savedCursor) return;
    const wait =
      pending >= this.o.syncBytes ? 0 : Math.max(0, this.lastSyncAt + this.o.syncIntervalMs - Date.now());
    this.timer = setTimeout(() => this.groupCommit(), wait);
  }

  /** One fdatasync for everything appended so far; then the cursor and the deletions behind it. */
  private groupCommit(): void {
    this.timer = undefined;
    if (this.closed) return;
    this.syncing = true;
    this.lastSyncAt = Date.now();
    const t0 = performance.now();
    const target = this.appendEnd;
    const fds = [...this.rolled, ...(this.fd === undefined || target === this.synced ? [] : [this.fd])];
    const rolled = this.rolled;
    this.rolled = [];
    if (this.dirDirty) {
      this.dirDirty = false;
      try {
        const d = openSync(this.dir as string, 'r');
        fsyncSync(d);
        closeSync(d);
      } catch (e) {
        this.o.onError('sync', e as Error);
      }
    }
    let left = fds.length;
    let ok = true;
    const finish = () => {
      for (const fd of rolled) closeSync(fd);
      this.syncing = false;
      if (this.closed) return;
      if (target > this.synced) {
        this.synced = target;
        this.o.onDurable?.(target, ok, performance.now() - t0);
      }
      this.saveCursor();
      this.deleteBehindCursor();
      this.scheduleSync();
    };
    if (left === 0) return finish();
    for (const fd of fds)
      this.io.fdatasync(fd, (err) => {
        if (err) {
          ok = false;
          this.o.onError('sync', err);
        }
        if (--left === 0) finish();
      });
  }

  private saveCursor(): void {
    if (this.cursor === this.savedCursor) return;
    try {
      writeCursor(this.dir as string, this.cursor);
      this.savedCursor = this.cursor;
    } catch (e) {
      this.o.onError('cursor', e as Error);
    }
  }

  /** Index of the segment holding log offset `pos`. */
  private segmentAt(pos: number): number {
    let i = this.segments.length - 1;
    while (i > 0 && (this.segments[i] as Segment).start > pos) i--;
    return i;
  }

  /** Index of the memory chunk starting at `pos` (chunks.length when past the last). */
  private chunkAt(pos: number): number {
    let lo = this.head;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.chunks[mid] as Chunk).start < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drop the emptied front of the chunk array once it is most of it (each chunk moves once). */
  private compact(): void {
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.next -= this.head;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.next -= this.head;
      this.head = 0;
    }
  }
}

/** Records of batch `b` that start before log offset `pos`. */
function recordsBefore(b: SpoolBatch, pos: number): number {
  let off = b.start;
  let n = 0;
  for (const r of b.records) {
    if (off >= pos) break;
    off += Buffer.byteLength(r) + 1;
    n++;
  }
  return n;
}
