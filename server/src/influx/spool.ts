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
 *   (spool-files.ts) at most once a second, and segments wholly behind it are deleted.
 *   After a crash, records past the cursor are delivered again: at-least-once.
 * - Bounded: past `maxBytes` on disk the oldest segment is deleted and its records not yet
 *   accepted are reported to `onDropped(n, 'full')`.
 * - A torn last record (the process died mid-append) is cut off when the spool is opened; a spool
 *   of the previous format (`seg-*.lp` + `.pos`, InfluxDB-overflow only) is taken over then.
 * - I/O errors never throw out of `add`, `batch`, `accept` or the group commit: they go to
 *   `onError`; a failed `add` returns `ok: false` (its records are not in the log).
 *
 * Without `dir` the spool lives in memory only: records count as durable when added, and those
 * past `maxMemoryRecords` are dropped, oldest first (`onDropped(n, 'memory_full')`).
 *
 * Log offsets are byte offsets into the whole log (across segments), so the cursor and every
 * acknowledgement are one number.
 */
import { fdatasync, mkdirSync, writeSync } from 'node:fs';
import { importLegacy, readCursor, writeCursor } from './spool-files.js';
import { SegmentFiles } from './spool-segments.js';
import { MemoryTail } from './spool-memory.js';

/** 1 GiB. */
export const DEFAULT_SPOOL_MAX_BYTES = 1024 ** 3;
/** 8 MiB. */
export const DEFAULT_SPOOL_SEGMENT_BYTES = 8 * 1024 ** 2;
/** Group commit: at most one fdatasync per this many ms. */
export const DEFAULT_SPOOL_SYNC_INTERVAL_MS = 10;
/** Group commit: sync at once when this many bytes wait. 1 MiB. */
export const DEFAULT_SPOOL_SYNC_BYTES = 1024 ** 2;
/**
 * The cursor file is rewritten at most this often, ms: after a crash at most this much more of
 * what InfluxDB already accepted is delivered again (harmless: the points overwrite themselves).
 */
export const SPOOL_CURSOR_SAVE_MS = 1000;
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

export class Spool {
  readonly dir: string | undefined;
  private readonly o: Required<Omit<SpoolOptions, 'dir' | 'onDurable' | 'io'>> &
    Pick<SpoolOptions, 'onDurable'>;
  private readonly files: SegmentFiles | undefined;
  private appendEnd = 0;
  private synced = 0;
  private cursor = 0;
  private savedCursor = -1;
  private readPos = 0;
  private readonly mem = new MemoryTail();
  private inflight: SpoolBatch[] = [];
  private syncing = false;
  private timer: NodeJS.Timeout | undefined;
  private lastSyncAt = 0;
  private lastCursorAt = 0;
  private scratch = Buffer.allocUnsafe(64 * 1024);
  private closed = false;
  /** Bytes of a torn last record cut off at open. */
  readonly tornBytes: number = 0;
  /** Records taken over at open from a spool of the previous format. */
  readonly imported: number = 0;

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
    if (this.dir === undefined) return;
    mkdirSync(this.dir, { recursive: true });
    const io = { writeSync, fdatasync, ...opts.io };
    const files = new SegmentFiles(this.dir, this.o.segmentBytes, io, this.o.onError);
    this.files = files;
    this.tornBytes = files.tornBytes;
    const saved = readCursor(this.dir);
    this.appendEnd = files.end ?? saved ?? 0;
    const first = files.segments[0]?.start ?? this.appendEnd;
    this.cursor = Math.min(this.appendEnd, Math.max(first, saved ?? 0));
    this.savedCursor = saved ?? -1;
    this.synced = this.appendEnd;
    this.readPos = this.cursor;
    files.deleteUpTo(this.cursor);
    this.imported = importLegacy(
      this.dir,
      (records) => this.add(records).ok,
      () => this.syncNow(),
    );
  }

  /** Bytes in the log not yet accepted. */
  get bytes(): number {
    return this.appendEnd - this.cursor;
  }

  /** Records waiting for a batch: in memory, plus whether older ones wait on disk. */
  get unread(): { memory: number; disk: boolean } {
    return { memory: this.mem.unread, disk: this.readPos < this.memStart };
  }

  /** Records held in memory (not yet accepted). */
  get memoryRecords(): number {
    return this.mem.records;
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
    return this.mem.start(this.appendEnd);
  }

  /** Append records. `end`: the log offset after them (acknowledge once onDurable passed it). */
  add(records: readonly string[]): { ok: true; end: number } | { ok: false; error: Error } {
    if (this.closed) return { ok: false, error: new Error('spool closed') };
    if (records.length === 0) return { ok: true, end: this.appendEnd };
    const buf = this.encode(records);
    const start = this.appendEnd;
    const err = this.files?.append(buf, start);
    if (err) return { ok: false, error: err };
    this.appendEnd += buf.length;
    this.mem.push({ start, end: this.appendEnd, records });
    this.evictMemory();
    if (!this.files) {
      this.synced = this.appendEnd;
      this.o.onDurable?.(this.synced, true, 0);
    } else {
      this.dropOverBound(this.files);
      this.scheduleSync();
    }
    return { ok: true, end: this.appendEnd };
  }

  /** The records, each followed by a newline, in a reused buffer (no string join, no allocation). */
  private encode(records: readonly string[]): Buffer {
    let off = 0;
    for (const r of records) {
      if (off + r.length * 3 + 1 > this.scratch.length) {
        const bigger = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, off + r.length * 3 + 1));
        this.scratch.copy(bigger, 0, 0, off);
        this.scratch = bigger;
      }
      off += this.scratch.write(r, off);
      this.scratch[off++] = 10;
    }
    return this.scratch.subarray(0, off);
  }

  /** Up to `max` records from the read position, in order; undefined when none wait. */
  batch(max: number): SpoolBatch | undefined {
    while (this.readPos < this.appendEnd && max > 0) {
      if (this.readPos < this.memStart) {
        const b = this.readDisk(this.files as SegmentFiles, max);
        if (!b) continue; // an unreadable stretch was skipped
        this.inflight.push(b);
        return b;
      }
      const taken = this.mem.take(max);
      if (!taken) return undefined;
      const b = { records: taken.records, start: this.readPos, end: taken.end, fromDisk: false };
      this.readPos = taken.end;
      this.inflight.push(b);
      return b;
    }
    return undefined;
  }

  private readDisk(files: SegmentFiles, max: number): SpoolBatch | undefined {
    try {
      const { records, end } = files.read(this.readPos, this.memStart, max);
      const b = { records, start: this.readPos, end, fromDisk: true };
      this.readPos = end;
      return b;
    } catch (e) {
      // Unreadable: skip to the next segment (or memory), so delivery never stalls on it.
      this.o.onError('read', e as Error);
      const next = files.segments.find((g) => g.start > this.readPos)?.start ?? this.memStart;
      const skipped: SpoolBatch = { records: [], start: this.readPos, end: next, fromDisk: true };
      this.readPos = next;
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
    this.mem.releaseUpTo(this.cursor, true);
    this.scheduleSync();
  }

  /** The batch was not delivered: it (and everything after it) comes again from the next batch. */
  reject(b: SpoolBatch): void {
    const i = this.inflight.indexOf(b);
    if (i < 0) return;
    const again = this.inflight.splice(i);
    if (!this.files) {
      // Memory only: records memory gave up while their batch was out are gone now.
      let lost = 0;
      for (const x of again) lost += recordsBefore(x, this.memStart);
      if (lost > 0) this.o.onDropped(lost, 'memory_full');
    }
    this.seek(Math.max(b.start, this.cursor, this.files ? 0 : this.memStart));
  }

  /** Memory only: every record not yet accepted (for counting at shutdown). */
  pendingInMemory(): string[] {
    return this.mem.all();
  }

  /** Final group commit and cursor; the spool takes no more records. */
  close(): void {
    if (this.closed) return;
    this.syncNow();
    this.closed = true;
  }

  /** Synchronous group commit now (open and close). */
  private syncNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.files) return;
    const ok = this.files.close();
    this.saveCursor(this.files);
    this.files.deleteUpTo(this.cursor);
    if (this.synced < this.appendEnd) {
      this.synced = this.appendEnd;
      this.o.onDurable?.(this.synced, ok, 0);
    }
  }

  /** Move the read position (a record boundary) and the memory read index with it. */
  private seek(pos: number): void {
    this.readPos = pos;
    this.mem.seek(pos);
  }

  private evictMemory(): void {
    while (this.mem.records > this.o.maxMemoryRecords) {
      const e = this.mem.evictOldest();
      if (!e) return;
      if (e.unread && !this.files) {
        this.o.onDropped(e.chunk.records.length, 'memory_full');
        this.readPos = e.chunk.end;
        this.cursor = Math.max(this.cursor, e.chunk.end);
      }
    }
  }

  /** Past maxBytes: delete the oldest segment; its records not yet accepted are dropped. */
  private dropOverBound(files: SegmentFiles): void {
    for (;;) {
      const seg = files.overBound(this.o.maxBytes, this.appendEnd);
      if (!seg) return;
      const segEnd = seg.start + seg.size;
      if (this.cursor < segEnd) {
        try {
          this.o.onDropped(files.count(seg, this.cursor), 'full');
        } catch (e) {
          this.o.onError('read', e as Error);
        }
        this.cursor = segEnd;
        this.inflight = this.inflight.filter((b) => b.start >= segEnd);
        this.mem.releaseUpTo(segEnd, false);
        if (this.readPos < segEnd) this.seek(segEnd);
      }
      files.deleteOldest();
    }
  }

  private scheduleSync(): void {
    if (!this.files || this.syncing || this.timer || this.closed) return;
    const pending = this.appendEnd - this.synced;
    if (pending <= 0 && this.cursor === this.savedCursor) return;
    const now = Date.now();
    let wait = pending >= this.o.syncBytes ? 0 : Math.max(0, this.lastSyncAt + this.o.syncIntervalMs - now);
    if (pending <= 0) wait = Math.max(wait, this.lastCursorAt + SPOOL_CURSOR_SAVE_MS - now);
    this.timer = setTimeout(() => this.groupCommit(), wait);
  }

  /** One fdatasync for everything appended so far; then the cursor and the deletions behind it. */
  private groupCommit(): void {
    this.timer = undefined;
    const files = this.files;
    if (this.closed || !files) return;
    this.syncing = true;
    this.lastSyncAt = Date.now();
    const t0 = performance.now();
    const target = this.appendEnd;
    files.sync((ok) => {
      this.syncing = false;
      if (this.closed) return;
      if (target > this.synced) {
        this.synced = target;
        this.o.onDurable?.(target, ok, performance.now() - t0);
      }
      if (Date.now() - this.lastCursorAt >= SPOOL_CURSOR_SAVE_MS) this.saveCursor(files);
      files.deleteUpTo(this.cursor);
      this.scheduleSync();
    });
  }

  private saveCursor(files: SegmentFiles): void {
    if (this.cursor === this.savedCursor) return;
    try {
      writeCursor(files.dir, this.cursor);
      this.savedCursor = this.cursor;
      this.lastCursorAt = Date.now();
    } catch (e) {
      this.o.onError('cursor', e as Error);
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
