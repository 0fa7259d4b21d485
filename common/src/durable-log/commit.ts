/**
 * When a {@link SegmentLog} (log.ts) commits: one fdatasync for everything written since the last
 * one, at most every `syncIntervalMs` (at once past `syncBytes`), or none with fsync `none`; then
 * the cursor file, at most every `cursorSaveMs`, and the deletion of segments behind the cursor.
 */
import { writeCursor } from './files.js';
import type { SegmentFiles } from './segments.js';
import type { FsyncPolicy, LogOp } from './types.js';

/** What the committer reads from the log and tells it. */
export interface CommitTarget {
  /** Log offset after the last byte written to a segment. */
  written(): number;
  /** Log offset durable now. */
  synced(): number;
  /** Committed cursor now. */
  cursor(): number;
  /** After a commit: durable up to `offset` (`ok` false: the sync failed), and how long it took. */
  durable(offset: number, ok: boolean, ms: number): void;
  error(op: LogOp, err: Error): void;
}

export interface CommitOptions {
  fsync: FsyncPolicy;
  syncIntervalMs: number;
  syncBytes: number;
  cursorSaveMs: number;
}

export class GroupCommit {
  private syncing = false;
  private timer: NodeJS.Timeout | undefined;
  private lastSyncAt = 0;
  private lastCursorAt = 0;
  private stopped = false;

  constructor(
    private readonly files: SegmentFiles,
    private readonly o: CommitOptions,
    private readonly log: CommitTarget,
    /** The cursor file's value at open (-1: none). */
    private savedCursor: number,
  ) {}

  /** Something was written or accepted: commit when the policy says. */
  schedule(): void {
    if (this.syncing || this.timer || this.stopped) return;
    const pending = this.log.written() - this.log.synced();
    if (pending <= 0 && this.log.cursor() === this.savedCursor) return;
    const now = Date.now();
    let wait = pending >= this.o.syncBytes ? 0 : Math.max(0, this.lastSyncAt + this.o.syncIntervalMs - now);
    if (pending <= 0) wait = Math.max(wait, this.lastCursorAt + this.o.cursorSaveMs - now);
    this.timer = setTimeout(() => this.run(), wait);
    if (this.o.fsync === 'none') this.timer.unref();
  }

  /** Synchronous final commit (the log closes): fsync, cursor, deletions. */
  now(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const ok = this.files.close();
    this.saveCursor();
    this.files.deleteUpTo(this.log.cursor());
    if (this.log.synced() < this.log.written()) this.log.durable(this.log.written(), ok, 0);
  }

  /** No more commits (after {@link now}, at close). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One fdatasync for everything written so far; then the cursor and the deletions behind it. */
  private run(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.syncing = true;
    this.lastSyncAt = Date.now();
    const t0 = performance.now();
    const target = this.log.written();
    const after = (ok: boolean) => {
      this.syncing = false;
      if (this.stopped) return;
      if (target > this.log.synced()) this.log.durable(target, ok, performance.now() - t0);
      if (Date.now() - this.lastCursorAt >= this.o.cursorSaveMs) this.saveCursor();
      this.files.deleteUpTo(this.log.cursor());
      this.schedule();
    };
    if (this.o.fsync === 'none') after(true);
    else this.files.sync(after);
  }

  private saveCursor(): void {
    const cursor = this.log.cursor();
    if (cursor === this.savedCursor) return;
    try {
      writeCursor(this.files.dir, cursor);
      this.savedCursor = cursor;
      this.lastCursorAt = Date.now();
    } catch (e) {
      this.log.error('cursor', e as Error);
    }
  }
}
