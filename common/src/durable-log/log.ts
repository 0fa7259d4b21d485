/**
 * The durable log: records (strings without a newline) in segment files with a committed cursor,
 * shaped like Telegraf's output buffer (models/buffer.go): `add` records, take a `batch`, then
 * `accept` it (delivered) or `reject` it (deliver again later). Its users (the server's InfluxDB
 * spool, server/src/influx/spool.ts) keep only what is theirs: the record format and what a
 * delivery is.
 *
 * - Append: the records of one `add` are encoded into one buffer; with `appendPerTurn` every add of
 *   an event-loop turn waits for the turn's end and they all reach the file in one write
 *   (pending.ts). `add` returns the log offset after its records: acknowledge the input once
 *   `onDurable` passed it.
 * - Durability (`fsync`): `group` (default) makes everything appended durable with one fdatasync at
 *   most every `syncIntervalMs` (sooner once `syncBytes` wait), then calls `onDurable(offset, ok)`;
 *   `none` calls it at once after the write (the page cache survives a crash of the process, not a
 *   power cut).
 * - Read: batches come from memory while the records are there (the newest `maxMemoryRecords`),
 *   else from disk (records memory gave up, and those of a previous run).
 * - Commit: `accept` moves the committed cursor over the longest prefix of accepted batches (they
 *   may finish in any order); the cursor file is replaced atomically (files.ts) at most every
 *   `cursorSaveMs`, and segments wholly behind it are deleted. After a crash, records past the
 *   cursor are delivered again: at-least-once.
 * - Bound: past `maxBytes` on disk, or once its last record is older than `maxAgeMs`, the oldest
 *   segment is deleted; its records not yet accepted go to `onDropped(n, 'full')` (drop oldest).
 * - Torn tail: bytes after the last newline of the last segment (the process died mid-append) are
 *   cut off at open (`tornBytes`).
 * - I/O errors never throw out of `add`, `batch`, `accept` or the group commit: they go to `onError`
 *   and are counted in `errors`. An append that fails loses its records (`onAppendFailed`, and
 *   `onDurable(end, false)` for their offsets, which are never reused).
 *
 * Without `dir` the log lives in memory only: records count as durable when added, and those past
 * `maxMemoryRecords` are dropped, oldest first (`onDropped(n, 'memory_full')`).
 *
 * Log offsets are byte offsets into the whole log (across segments): the cursor and every
 * acknowledgement are one number.
 */
import { fdatasync, mkdirSync, writeSync } from 'node:fs';
import { readCursor } from './files.js';
import { GroupCommit } from './commit.js';
import { SegmentFiles } from './segments.js';
import { MemoryTail, type Chunk } from './memory.js';
import { PendingAppends } from './pending.js';
import {
  DEFAULTS,
  type AddResult,
  type LogBatch,
  type LogDropReason,
  type LogOp,
  type LogOptions,
} from './types.js';

export type { AddResult, FsyncPolicy, LogBatch, LogDropReason, LogIo, LogOp, LogOptions } from './types.js';

const noop = (): void => {};

export class SegmentLog {
  readonly dir: string | undefined;
  /** I/O errors by operation, since open. */
  readonly errors: Record<LogOp, number> = { open: 0, append: 0, sync: 0, read: 0, cursor: 0, delete: 0 };
  /** Records dropped by reason, since open. */
  readonly drops: Record<LogDropReason, number> = { full: 0, memory_full: 0 };
  /** Bytes of a torn last record cut off at open. */
  readonly tornBytes: number = 0;
  protected readonly o: typeof DEFAULTS & LogOptions;
  private readonly files: SegmentFiles | undefined;
  private readonly commit: GroupCommit | undefined;
  private appendEnd = 0;
  private synced = 0;
  private cursor = 0;
  private readPos = 0;
  private readonly mem = new MemoryTail();
  private readonly pending = new PendingAppends();
  private flushScheduled: NodeJS.Immediate | undefined;
  private inflight: LogBatch[] = [];
  private closed = false;

  constructor(opts: LogOptions = {}) {
    this.dir = opts.dir;
    this.o = { ...DEFAULTS, ...withoutUndefined(opts) };
    if (this.dir === undefined) return;
    mkdirSync(this.dir, { recursive: true });
    const io = { writeSync, fdatasync, ...opts.io };
    const files = new SegmentFiles(this.dir, this.o.segmentBytes, io, (op, e) => this.error(op, e));
    this.files = files;
    this.tornBytes = files.tornBytes;
    const saved = readCursor(this.dir);
    this.appendEnd = files.end ?? saved ?? 0;
    const first = files.segments[0]?.start ?? this.appendEnd;
    this.cursor = Math.min(this.appendEnd, Math.max(first, saved ?? 0));
    this.synced = this.appendEnd;
    this.readPos = this.cursor;
    files.deleteUpTo(this.cursor);
    this.commit = new GroupCommit(
      files,
      this.o,
      {
        written: () => this.appendEnd - this.pending.bytes,
        synced: () => this.synced,
        cursor: () => this.cursor,
        durable: (offset, ok, ms) => {
          this.synced = offset;
          this.o.onDurable?.(offset, ok, ms);
        },
        error: (op, e) => this.error(op, e),
      },
      saved ?? -1,
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
    return this.mem.start(this.appendEnd - this.pending.bytes);
  }

  /** Append records. `end`: the log offset after them (acknowledge once onDurable passed it). */
  add(records: readonly string[]): AddResult {
    if (this.closed) return { ok: false, error: new Error('log closed') };
    if (records.length === 0) return { ok: true, end: this.appendEnd };
    const start = this.appendEnd;
    this.appendEnd = this.pending.add(records, start).end;
    if (!this.files) {
      this.pending.take();
      this.written([{ start, end: this.appendEnd, records }]);
      this.synced = this.appendEnd;
      this.o.onDurable?.(this.synced, true, 0);
      return { ok: true, end: this.appendEnd };
    }
    if (this.o.appendPerTurn) {
      this.flushScheduled ??= setImmediate(() => this.flush());
      return { ok: true, end: this.appendEnd };
    }
    const err = this.write(false);
    return err ? { ok: false, error: err } : { ok: true, end: this.appendEnd };
  }

  /** Write what waits for the end of the turn now (one write). Returns the error, if any. */
  flush(): Error | undefined {
    return this.write(true);
  }

  /** `deferred`: the adds already returned, so a failure goes to the callbacks. */
  private write(deferred: boolean): Error | undefined {
    if (this.flushScheduled) clearImmediate(this.flushScheduled);
    this.flushScheduled = undefined;
    const files = this.files;
    if (!files || this.pending.bytes === 0) return undefined;
    const { buf, chunks } = this.pending.take();
    const start = (chunks[0] as Chunk).start;
    const err = files.append(buf, start);
    if (err) {
      // Those offsets stay unused (a gap the reader skips): an acknowledgement waiting on one
      // of them must never be released by a later commit.
      if (this.readPos === start) this.seek(this.appendEnd);
      if (!deferred) return err;
      if (this.o.onAppendFailed) for (const c of chunks) this.o.onAppendFailed(c.records, err);
      this.o.onDurable?.(this.appendEnd, false, 0);
      return err;
    }
    this.written(chunks);
    this.dropOverBound(files);
    if (this.o.fsync === 'none' && this.synced < this.appendEnd) {
      this.synced = this.appendEnd;
      this.o.onDurable?.(this.synced, true, 0);
    }
    this.commit?.schedule();
    this.o.onAppended?.();
    return undefined;
  }

  private written(chunks: readonly Chunk[]): void {
    for (const c of chunks) this.mem.push(c);
    this.evictMemory();
  }

  /** Up to `max` records from the read position, in order; undefined when none wait. */
  batch(max: number): LogBatch | undefined {
    while (this.readPos < this.memStart && max > 0) {
      const b = this.readDisk(this.files as SegmentFiles, max);
      if (!b) continue; // a gap or an unreadable stretch was skipped
      this.inflight.push(b);
      return b;
    }
    if (max <= 0) return undefined;
    const taken = this.mem.take(max);
    if (!taken) return undefined;
    const b = { records: taken.records, start: this.readPos, end: taken.end, fromDisk: false };
    this.readPos = taken.end;
    this.inflight.push(b);
    return b;
  }

  private readDisk(files: SegmentFiles, max: number): LogBatch | undefined {
    try {
      const { records, end } = files.read(this.readPos, this.memStart, max);
      const b = { records, start: this.readPos, end, fromDisk: true };
      this.readPos = end;
      return records.length ? b : undefined;
    } catch (e) {
      // Unreadable: skip to the next segment (or memory), so delivery never stalls on it.
      this.error('read', e as Error);
      const next = files.segments.find((g) => g.start > this.readPos)?.start ?? this.memStart;
      const skipped: LogBatch = { records: [], start: this.readPos, end: next, fromDisk: true };
      this.readPos = next;
      this.inflight.push(skipped);
      this.accept(skipped);
      return undefined;
    }
  }

  /** The batch was delivered: the cursor moves over every accepted batch before it too. */
  accept(b: LogBatch): void {
    b.done = true;
    let n = 0;
    while (this.inflight[n]?.done) n++;
    if (n === 0) return;
    for (const done of this.inflight.splice(0, n)) this.cursor = Math.max(this.cursor, done.end);
    this.mem.releaseUpTo(this.cursor, true);
    // Whole segments behind the cursor go now (a crash before the cursor file is saved finds
    // them gone: the log then starts at its first segment).
    this.files?.deleteUpTo(this.cursor);
    this.commit?.schedule();
  }

  /** The batch was not delivered: it (and everything after it) comes again from the next batch. */
  reject(b: LogBatch): void {
    const i = this.inflight.indexOf(b);
    if (i < 0) return;
    const again = this.inflight.splice(i);
    if (!this.files) {
      // Memory only: records memory gave up while their batch was out are gone now.
      let lost = 0;
      for (const x of again) lost += recordsBefore(x, this.memStart);
      if (lost > 0) this.dropped(lost, 'memory_full');
    }
    this.seek(Math.max(b.start, this.cursor, this.files ? 0 : this.memStart));
  }

  /** Records the reader has not reached yet (reads the segments on disk: call it seldom). */
  unreadRecords(): number {
    const files = this.files;
    if (!files || this.readPos >= this.memStart) return this.mem.unread;
    let n = 0;
    for (const seg of files.segments)
      if (seg.start + seg.size > this.readPos) n += files.count(seg, Math.max(this.readPos, seg.start));
    return n;
  }

  /** Memory only: every record not yet accepted (for counting at shutdown). */
  pendingInMemory(): string[] {
    return this.mem.all();
  }

  /** Write what waits, final sync and cursor; the log takes no more records. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.commitNow();
    this.commit?.stop();
    this.closed = true;
  }

  /** Synchronous commit now: fsync, cursor, deletions behind it. */
  protected commitNow(): void {
    this.commit?.now();
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
        this.dropped(e.chunk.records.length, 'memory_full');
        this.readPos = e.chunk.end;
        this.cursor = Math.max(this.cursor, e.chunk.end);
      }
    }
  }

  /** Past maxBytes: delete the oldest segment; its records not yet accepted are dropped. */
  private dropOverBound(files: SegmentFiles): void {
    for (;;) {
      const seg = files.overBound(this.o.maxBytes, this.appendEnd, this.o.maxAgeMs);
      if (!seg) return;
      const segEnd = seg.start + seg.size;
      if (this.cursor < segEnd) {
        try {
          const unread = this.readPos < segEnd ? files.count(seg, Math.max(this.readPos, seg.start)) : 0;
          this.dropped(files.count(seg, this.cursor), 'full', { end: segEnd, unread });
        } catch (e) {
          this.error('read', e as Error);
        }
        this.cursor = segEnd;
        this.inflight = this.inflight.filter((b) => b.start >= segEnd);
        this.mem.releaseUpTo(segEnd, false);
        if (this.readPos < segEnd) this.seek(segEnd);
      }
      files.deleteOldest();
    }
  }

  private error(op: LogOp, err: Error): void {
    this.errors[op]++;
    this.o.onError?.(op, err);
  }

  private dropped(n: number, reason: LogDropReason, segment?: { end: number; unread: number }): void {
    this.drops[reason] += n;
    (this.o.onDropped ?? noop)(n, reason, segment);
  }
}

/** Records of batch `b` that start before log offset `pos`. */
function recordsBefore(b: LogBatch, pos: number): number {
  let off = b.start;
  let n = 0;
  for (const r of b.records) {
    if (off >= pos) break;
    off += Buffer.byteLength(r) + 1;
    n++;
  }
  return n;
}

/** Options given as `undefined` take the default. */
function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
