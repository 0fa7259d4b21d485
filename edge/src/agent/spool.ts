/**
 * DiskSpool: the durable {@link Outbox}, a thin user of the durable log
 * (common/src/durable-log). Every station message is appended to the log before anything else
 * happens to it, and stays there until the broker has acknowledged it (PUBACK).
 *
 * ```
 * <dir>/0000000000000000.log   records from log offset 0 (oldest; deleted when all acked, or dropped at the bound)
 * <dir>/0000000000391524.log   the tail, appended to
 * <dir>/cursor                 log offset up to which everything is acknowledged (or dropped)
 * ```
 * A record is one line of JSON: `[topic, leaf, retain(0|1), enqueuedAt, payload]` (spool-format.ts);
 * its log offset is the message's `id`. The payload is the message exactly as built (with its
 * original bootId, seq and ts), so a replay after a restart is byte-identical to the first attempt
 * and the server recognises it by (station, bootId, seq). A spool of the format before this one
 * (`*.seg` files and `acked`) is taken over at open (spool-format.ts).
 *
 * Durability: each record is written with one synchronous write() before push() returns, so a
 * SIGKILL of the agent loses nothing it has read from the serial line (the page cache survives the
 * process). Against power loss, `fsync` decides: `interval` (default: one fdatasync per
 * {@link DEFAULT_SPOOL_FSYNC_INTERVAL_MS}), `always` (a group commit at the end of each turn), or
 * `never`. The cursor is saved at most every `ackFlushMs`; after a crash up to that much
 * acknowledged data is sent again, which the server drops as duplicates.
 *
 * Bounded: past `maxBytes` the log deletes its oldest segment; the records in it that were not yet
 * handed out are counted in `dropped` (health: spool.dropped) and logged.
 *
 * Two lanes: while the link is up (`setLive(true)`), a pushed record is also queued in memory in
 * the live lane, which `shift()` serves before the backlog. The log's reader is sequential, so a
 * record the live lane took stays in `liveIds` until the reader reaches it: then it is accepted at
 * once if its PUBACK came first, else when it comes. When the link drops, the live lane's unsent
 * records fall back to the backlog (in log order).
 */
import type { Logger } from 'pino';
import { SegmentLog, type LogBatch } from '@yizhan/common/durable-log';
import type { Outbox, OutboxMessage } from './outbox.js';
import { SpoolError, formatRecord, parseRecord, takeOverLegacy, type Rec } from './spool-format.js';

export { SpoolError };
export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface SpoolOptions {
  /** Folder of the spool (created if missing). One folder per station. */
  dir: string;
  /** Most bytes on disk. Default {@link DEFAULT_SPOOL_MAX_BYTES}. */
  maxBytes?: number;
  /** Size at which a new segment is started. Default maxBytes / 8, at most 4 MiB. */
  segmentBytes?: number;
  /** Default `interval`. */
  fsync?: FsyncPolicy;
  /** fsync period with `interval`, ms. Default {@link DEFAULT_SPOOL_FSYNC_INTERVAL_MS}. */
  fsyncIntervalMs?: number;
  /** How often the cursor is saved, ms. Default {@link DEFAULT_SPOOL_ACK_FLUSH_MS}. */
  ackFlushMs?: number;
  /** Most records waiting in the live lane; beyond it they queue in the backlog. Default {@link DEFAULT_SPOOL_LIVE_MAX}. */
  liveMax?: number;
  logger?: Logger;
}

/** 64 MiB on disk: at 1 msg/s of ~1 KB per station, about 18 hours of outage. */
export const DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;
/** 1 000 ms between fsyncs of the tail segment. */
export const DEFAULT_SPOOL_FSYNC_INTERVAL_MS = 1000;
/** 500 ms between saves of the cursor. */
export const DEFAULT_SPOOL_ACK_FLUSH_MS = 500;
/** 1 000 records (messages) waiting in the live lane, at most. */
export const DEFAULT_SPOOL_LIVE_MAX = 1000;
/** The newest records kept in memory by the log: a backlog older than this is read from disk. */
const MEMORY_RECORDS = 256;

export class DiskSpool implements Outbox {
  readonly maxBytes: number;
  private log: SegmentLog;
  /** Records past the reader's position (not yet read from the log). */
  private unread = 0;
  /** The next backlog record, read from the log but not handed out yet. */
  private next: { b: LogBatch; rec: Rec } | undefined;
  /** Handed out (or passed by the reader while the live lane holds it), not acknowledged: by id. */
  private readonly out = new Map<number, LogBatch>();
  /** Handed out, not delivered, given back: served first. */
  private retry: Rec[] = [];
  /** Live lane: pushed while the link is up, served before the backlog (ids ascending). */
  private live: Rec[] = [];
  /** Ids the live lane took (queued or handed out) that the reader has not passed. */
  private readonly liveIds = new Set<number>();
  /** Of those, the ones already acknowledged. */
  private readonly ackedAhead = new Set<number>();
  private liveOn = false;
  private readonly liveMax: number;
  private droppedCount = 0;
  private corruptCount = 0;
  private closed = false;

  constructor(private readonly o: SpoolOptions) {
    this.maxBytes = o.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    if (!(Number.isInteger(this.maxBytes) && this.maxBytes >= 4096))
      throw new SpoolError(`spool maxBytes must be an integer >= 4096, got ${this.maxBytes}`);
    this.liveMax = o.liveMax ?? DEFAULT_SPOOL_LIVE_MAX;
    const fsync = o.fsync ?? 'interval';
    const open = () =>
      new SegmentLog({
        dir: o.dir,
        maxBytes: this.maxBytes,
        segmentBytes: Math.max(
          1024,
          o.segmentBytes ?? Math.min(4 * 1024 * 1024, Math.floor(this.maxBytes / 8)),
        ),
        fsync: fsync === 'never' ? 'none' : 'group',
        syncIntervalMs: fsync === 'always' ? 0 : (o.fsyncIntervalMs ?? DEFAULT_SPOOL_FSYNC_INTERVAL_MS),
        syncBytes: Number.MAX_SAFE_INTEGER,
        cursorSaveMs: o.ackFlushMs ?? DEFAULT_SPOOL_ACK_FLUSH_MS,
        maxMemoryRecords: MEMORY_RECORDS,
        onDropped: (_n, why, seg) => {
          if (why === 'full' && seg) this.segmentDropped(seg);
        },
        onError: (op, err) => this.o.logger?.warn({ op, err: err.message, dir: o.dir }, 'spool I/O error'),
      });
    try {
      this.log = open();
      // The previous format's records are appended, committed and the log closed: open it again.
      if (takeOverLegacy(o.dir, this.log, o.logger) !== undefined) this.log = open();
    } catch (e) {
      if (e instanceof SpoolError) throw e;
      throw new SpoolError(`cannot use the spool folder ${o.dir}: ${(e as Error).message}`);
    }
    if (this.log.tornBytes > 0) {
      this.corruptCount++;
      o.logger?.warn(
        { dir: o.dir, bytes: this.log.tornBytes },
        'spool record unreadable (torn write?); skipped',
      );
    }
    this.unread = this.log.unreadRecords();
    if (this.unread > 0)
      o.logger?.info({ dir: o.dir, depth: this.unread }, 'spool: replaying what an earlier run left');
  }

  get depth(): number {
    return this.unread - this.liveIds.size + (this.next ? 1 : 0) + this.live.length + this.retry.length;
  }
  get dropped(): number {
    return this.droppedCount;
  }
  /** Records that could not be read back (torn by a power cut); skipped. */
  get corrupt(): number {
    return this.corruptCount;
  }
  /** Records held in memory: the live lane, the retry queue and the log's unacknowledged tail. */
  get inMemory(): number {
    return this.live.length + this.retry.length + this.log.memoryRecords;
  }
  /** Bytes on disk not yet acknowledged. */
  get bytes(): number {
    return this.log.bytes;
  }

  push(m: OutboxMessage): void {
    if (this.closed) throw new SpoolError('spool is closed');
    const id = this.log.end;
    const r = this.log.add([formatRecord(m)]);
    if (!r.ok) throw r.error;
    this.unread++;
    if (this.liveOn && this.live.length < this.liveMax) {
      this.live.push({ ...m, id });
      this.liveIds.add(id);
    }
  }

  /** Link up: new records take the live lane. Link down: the live lane's unsent records rejoin the backlog. */
  setLive(on: boolean): void {
    this.liveOn = on;
    if (on) return;
    // Still in liveIds (not passed by the reader): the reader serves it. Otherwise: retry.
    const back = this.live.filter((r) => !this.liveIds.delete(r.id));
    this.live = [];
    if (back.length) this.retry = [...back, ...this.retry].sort((a, b) => a.id - b.id);
  }

  shift(): OutboxMessage | undefined {
    const l = this.live.shift();
    if (l) return l;
    const r = this.retry.shift();
    if (r) return r;
    this.read();
    const n = this.next;
    if (!n) return undefined;
    this.next = undefined;
    this.out.set(n.rec.id, n.b);
    return n.rec;
  }

  requeue(ms: readonly OutboxMessage[]): void {
    const toLive: Rec[] = [];
    const toRetry: Rec[] = [];
    for (const m of ms) {
      if (typeof m.id !== 'number') continue;
      const r = m as Rec;
      if (this.out.has(r.id)) toRetry.push(r);
      else if (!this.liveIds.has(r.id))
        continue; // acknowledged or dropped meanwhile
      else if (this.liveOn) toLive.push(r);
      else this.liveIds.delete(r.id); // not passed by the reader: it serves it again
    }
    if (toLive.length) this.live = [...toLive, ...this.live].sort((a, b) => a.id - b.id);
    if (toRetry.length) this.retry = [...toRetry, ...this.retry].sort((a, b) => a.id - b.id);
  }

  ack(m: OutboxMessage): void {
    const id = m.id;
    if (id === undefined) return;
    const b = this.out.get(id);
    if (b) {
      this.out.delete(id);
      this.log.accept(b);
    } else if (this.liveIds.has(id)) {
      this.ackedAhead.add(id);
      this.read();
    }
  }

  oldestEnqueuedAt(): number | undefined {
    this.read();
    const ts = [this.live[0], this.retry[0], this.next?.rec].flatMap((r) => (r ? [r.enqueuedAt] : []));
    return ts.length ? Math.min(...ts) : undefined;
  }

  /** Save the cursor, fsync and close the log. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.log.close();
  }

  /**
   * Move the reader up to the next backlog record (kept in `next`): records the live lane took
   * are passed, accepted at once when already acknowledged, else left to their PUBACK.
   */
  private read(): void {
    while (!this.next) {
      const b = this.log.batch(1);
      if (!b) return;
      this.unread -= b.records.length;
      if (this.liveIds.delete(b.start)) {
        if (this.ackedAhead.delete(b.start)) this.log.accept(b);
        else this.out.set(b.start, b);
        continue;
      }
      const rec = parseRecord(b.records[0] ?? '', b.start);
      if (rec) this.next = { b, rec };
      else {
        this.corruptCount++;
        this.o.logger?.warn({ dir: this.o.dir, id: b.start }, 'spool record unreadable; skipped');
        this.log.accept(b);
      }
    }
  }

  /** The log deleted its oldest segment (ids below `end`): count what was never handed out. */
  private segmentDropped(seg: { end: number; unread: number }): void {
    const end = seg.end;
    this.unread -= seg.unread;
    // Unsent: what the reader had not reached, less what the live lane took of it, plus what
    // waited in the lanes and the reader's next record.
    let lost = seg.unread;
    for (const id of this.liveIds)
      if (id < end) {
        this.liveIds.delete(id);
        this.ackedAhead.delete(id);
        lost--;
      }
    const before = this.live.length + this.retry.length;
    this.live = this.live.filter((r) => r.id >= end);
    this.retry = this.retry.filter((r) => r.id >= end);
    lost += before - this.live.length - this.retry.length;
    if (this.next && this.next.rec.id < end) {
      this.next = undefined;
      lost++;
    }
    for (const id of this.out.keys()) if (id < end) this.out.delete(id);
    this.droppedCount += lost;
    this.o.logger?.warn(
      { dropped: lost, droppedTotal: this.droppedCount, maxBytes: this.maxBytes },
      'spool full: oldest segment dropped',
    );
  }
}
