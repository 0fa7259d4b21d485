/**
 * DiskSpool: the durable {@link Outbox}. Every station message is appended to an on-disk segment log
 * before anything else happens to it, and stays there until the broker has acknowledged it (PUBACK).
 *
 * ```
 * <dir>/0000000000000000.seg   records sid 0..n      (oldest; deleted when all acked, or dropped at the bound)
 * <dir>/0000000000004211.seg   records sid 4211..    (the tail, appended to)
 * <dir>/acked                  "4209": every sid <= this is acknowledged (or dropped)
 * ```
 * A record is one line of JSON: `[sid, topic, leaf, retain(0|1), enqueuedAt, payload]`. The payload is
 * the message exactly as built (with its original bootId, seq and ts), so a replay after a restart is
 * byte-identical to the first attempt and the server recognises it by (station, bootId, seq).
 *
 * Why a segment log and not SQLite: append-only lines need no native module (nothing to build on an
 * armv7/arm64 board, no ABI to match after a Node upgrade), one write() per message, deletion by
 * unlink of whole segments, and a torn tail line after a power cut is detected by JSON.parse and
 * skipped (counted in `corrupt`).
 *
 * Durability: each record is written with one synchronous write() before push() returns, so a
 * SIGKILL of the agent loses nothing it has read from the serial line (the page cache survives the
 * process). Against power loss, `fsync` decides: `always` (fsync per record), `interval` (default:
 * every {@link DEFAULT_SPOOL_FSYNC_INTERVAL_MS}), or `never`. The `acked` cursor is rewritten
 * (tmp + rename) at most every `ackFlushMs`; after a crash up to that much acknowledged data is sent
 * again, which the server drops as duplicates.
 *
 * Bounded: when the segments exceed `maxBytes`, the oldest segment is deleted; the records in it that
 * were not yet handed out are counted in `dropped` (health: spool.dropped) and logged.
 *
 * Two lanes: while the link is up (`setLive(true)`), a pushed record is written to disk as always and
 * also queued in memory in the live lane, which `shift()` serves before the backlog; the disk reader
 * skips the sids the live lane took, so each record is handed out once. When the link drops, the
 * live lane's unsent records fall back to the backlog (in sid order). The format on disk is unchanged.
 *
 * Files: the record format and recovery scan in spool-format.ts, the tail writes, fsync, cursor
 * file and deletions in spool-tail.ts.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Outbox, OutboxMessage } from './outbox.js';
import {
  formatRecord,
  parseSegment,
  readAckedCursor,
  scanSegments,
  type Rec,
  type Segment,
} from './spool-format.js';
import { SpoolError, TailFile, saveAckedCursor, unlinkSegment, type FsyncPolicy } from './spool-tail.js';

export { SpoolError, type FsyncPolicy };

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
  /** How often the acked cursor is saved, ms. Default {@link DEFAULT_SPOOL_ACK_FLUSH_MS}. */
  ackFlushMs?: number;
  /** Most records waiting in the live lane; beyond it they queue in the backlog. Default {@link DEFAULT_SPOOL_LIVE_MAX}. */
  liveMax?: number;
  logger?: Logger;
}

/** 64 MiB on disk: at 1 msg/s of ~1 KB per station, about 18 hours of outage. */
export const DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;
/** 1 000 ms between fsyncs of the tail segment. */
export const DEFAULT_SPOOL_FSYNC_INTERVAL_MS = 1000;
/** 500 ms between saves of the acked cursor. */
export const DEFAULT_SPOOL_ACK_FLUSH_MS = 500;
/** 1 000 records (messages) waiting in the live lane, at most. */
export const DEFAULT_SPOOL_LIVE_MAX = 1000;

export class DiskSpool implements Outbox {
  readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly fsync: FsyncPolicy;
  private readonly segs: Segment[] = [];
  private readonly file: TailFile;
  private nextSid = 0;
  /** Next sid to hand out from disk. */
  private readSid = 0;
  /** Parsed records of the segment being read, and where we are in it. */
  private buf: { seg: Segment; recs: Rec[]; idx: number } | undefined;
  /** Handed out, not delivered, given back: served first. */
  private retry: Rec[] = [];
  /** Every sid <= frontier is acknowledged or dropped. */
  private frontier = -1;
  private readonly ackedAhead = new Set<number>();
  private savedFrontier = -1;
  private droppedCount = 0;
  private corruptCount = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  /** Live lane: pushed while the link is up, served before the backlog (sids ascending). */
  private live: Rec[] = [];
  /** Sids queued or handed out by the live lane that the disk reader has not passed: it skips them. */
  private readonly liveSids = new Set<number>();
  private liveOn = false;
  private readonly liveMax: number;

  constructor(private readonly o: SpoolOptions) {
    this.maxBytes = o.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    if (!(Number.isInteger(this.maxBytes) && this.maxBytes >= 4096))
      throw new SpoolError(`spool maxBytes must be an integer >= 4096, got ${this.maxBytes}`);
    this.segmentBytes = Math.max(
      1024,
      o.segmentBytes ?? Math.min(4 * 1024 * 1024, Math.floor(this.maxBytes / 8)),
    );
    this.fsync = o.fsync ?? 'interval';
    this.liveMax = o.liveMax ?? DEFAULT_SPOOL_LIVE_MAX;
    this.file = new TailFile(o.dir, this.fsync, o.logger);
    try {
      mkdirSync(o.dir, { recursive: true });
      this.recover();
      this.openTail();
    } catch (e) {
      if (e instanceof SpoolError) throw e;
      throw new SpoolError(`cannot use the spool folder ${o.dir}: ${(e as Error).message}`);
    }
    if (this.fsync === 'interval') {
      const t = setInterval(() => this.file.sync(), o.fsyncIntervalMs ?? DEFAULT_SPOOL_FSYNC_INTERVAL_MS);
      this.timers.push(t);
    }
    this.timers.push(setInterval(() => this.saveCursor(), o.ackFlushMs ?? DEFAULT_SPOOL_ACK_FLUSH_MS));
    for (const t of this.timers) t.unref();
  }

  get depth(): number {
    const range = Math.max(0, this.nextSid - this.readSid) - this.liveSids.size;
    return range + this.live.length + this.retry.length;
  }
  get dropped(): number {
    return this.droppedCount;
  }
  /** Lines that could not be read back (torn by a power cut); skipped. */
  get corrupt(): number {
    return this.corruptCount;
  }
  /**
   * Records held in memory: the live lane, the retry queue and the disk reader's buffer (the parsed
   * part of one segment). With the link up and no backlog, only what is not yet handed out.
   */
  get inMemory(): number {
    return this.live.length + this.retry.length + (this.buf?.recs.length ?? 0);
  }
  /** Bytes of all segments. */
  get bytes(): number {
    return this.segs.reduce((n, s) => n + s.bytes, 0);
  }

  push(m: OutboxMessage): void {
    if (this.closed) throw new SpoolError('spool is closed');
    const id = this.nextSid;
    const line = formatRecord(id, m);
    const len = Buffer.byteLength(line);
    let tail = this.tail();
    if (tail.bytes > 0 && tail.bytes + len > this.segmentBytes) {
      this.openTail();
      tail = this.tail();
    }
    this.file.append(tail, line);
    tail.bytes += len;
    tail.last = id;
    this.nextSid++;
    const rec: Rec = { ...m, id };
    if (this.liveOn && this.live.length < this.liveMax) {
      this.live.push(rec);
      if (this.readSid === id) {
        // No backlog before it: the disk reader passes it at once (the state it reaches anyway),
        // so neither liveSids nor the reader's buffer holds on to it. Without this, in steady
        // state every record stayed in the buffer until the tail segment rotated (up to 4 MiB of
        // records in the heap; bench:edge).
        this.readSid = id + 1;
      } else {
        this.liveSids.add(id);
        if (this.buf?.seg === tail) this.buf.recs.push(rec);
      }
    } else if (this.buf?.seg === tail) this.buf.recs.push(rec);
    this.enforceBound();
  }

  /** Link up: new records take the live lane. Link down: the live lane's unsent records rejoin the backlog. */
  setLive(on: boolean): void {
    this.liveOn = on;
    if (on) return;
    // Still in liveSids (not passed by the disk reader): the reader serves it. Otherwise: retry.
    const back = this.live.filter((r) => !this.liveSids.delete(r.id));
    this.live = [];
    if (back.length) this.retry = [...back, ...this.retry].sort((a, b) => a.id - b.id);
  }

  shift(): OutboxMessage | undefined {
    const l = this.live.shift();
    if (l) return l;
    const r = this.retry.shift();
    if (r) return r;
    const rec = this.head();
    const b = this.buf;
    if (!rec || !b) return undefined;
    b.idx++;
    this.releaseRead();
    this.readSid = rec.id + 1;
    return rec;
  }

  /** Let go of the reader's records behind it: all of them once it has read everything, else in chunks. */
  private releaseRead(): void {
    const b = this.buf;
    if (!b || (b.idx < b.recs.length && b.idx <= 1024)) return;
    b.recs.splice(0, b.idx);
    b.idx = 0;
  }

  /** The next record on disk, without taking it (buf.idx points at it). */
  private head(): Rec | undefined {
    while (this.readSid < this.nextSid) {
      if (!this.buf || this.readSid > this.buf.seg.last || this.readSid < this.buf.seg.first) {
        const seg = this.segs.find((s) => s.last >= this.readSid && s.last >= s.first);
        if (!seg) {
          this.skipTo(this.nextSid);
          break;
        }
        if (seg.first > this.readSid) this.skipTo(seg.first);
        this.buf = { seg, recs: this.load(seg), idx: 0 };
      }
      const b = this.buf;
      while (b.idx < b.recs.length && (b.recs[b.idx]?.id ?? Infinity) < this.readSid) b.idx++;
      const rec = b.recs[b.idx];
      if (rec) {
        if (rec.id > this.readSid) this.skipTo(rec.id);
        if (!this.liveSids.delete(rec.id)) return rec;
        b.idx++; // taken by the live lane
        this.readSid = rec.id + 1;
        continue;
      }
      // The rest of this segment could not be read back.
      this.skipTo(b.seg.last + 1);
    }
    this.releaseRead();
    return undefined;
  }

  requeue(ms: readonly OutboxMessage[]): void {
    const recs = ms.filter((m): m is Rec => typeof m.id === 'number' && m.id > this.frontier);
    const toLive: Rec[] = [];
    const toRetry: Rec[] = [];
    for (const r of recs) {
      if (!this.liveSids.has(r.id)) toRetry.push(r);
      else if (this.liveOn) toLive.push(r);
      else this.liveSids.delete(r.id); // not passed by the disk reader: it serves it again
    }
    if (toLive.length) this.live = [...toLive, ...this.live].sort((a, b) => a.id - b.id);
    if (toRetry.length) this.retry = [...toRetry, ...this.retry].sort((a, b) => a.id - b.id);
  }

  ack(m: OutboxMessage): void {
    const id = m.id;
    if (id === undefined || id <= this.frontier) return;
    this.ackedAhead.add(id);
    this.advance();
  }

  oldestEnqueuedAt(): number | undefined {
    const ts = [this.live[0], this.retry[0], this.head()].flatMap((r) => (r ? [r.enqueuedAt] : []));
    return ts.length ? Math.min(...ts) : undefined;
  }

  /** Save the cursor, fsync and close the tail. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.saveCursor();
    this.file.close();
  }

  private tail(): Segment {
    const t = this.segs[this.segs.length - 1];
    if (!t) throw new SpoolError('spool has no segment');
    return t;
  }

  private advance(): void {
    while (this.ackedAhead.delete(this.frontier + 1)) this.frontier++;
    while (this.segs.length > 1 && (this.segs[0]?.last ?? Infinity) <= this.frontier) {
      const s = this.segs.shift();
      if (s) unlinkSegment(s, this.o.logger);
    }
  }

  /** Sids in [readSid, to) that cannot be read: nothing to deliver, count them as done. */
  private skipTo(to: number): void {
    for (let s = this.readSid; s < to; s++)
      if (!this.liveSids.delete(s) && s > this.frontier) this.ackedAhead.add(s);
    this.readSid = Math.max(this.readSid, to);
    this.advance();
  }

  private enforceBound(): void {
    let total = this.bytes;
    while (total > this.maxBytes && this.segs.length > 1) {
      const s = this.segs.shift();
      if (!s) break;
      total -= s.bytes;
      // Unsent = not yet handed out: backlog sids not taken by the live lane, live-lane and retry queues.
      let unsent = Math.max(0, s.last - Math.max(this.readSid, s.first) + 1);
      for (const id of this.liveSids) if (id <= s.last && this.liveSids.delete(id)) unsent--;
      const queued = [...this.retry, ...this.live].filter((r) => r.id <= s.last).length;
      this.retry = this.retry.filter((r) => r.id > s.last);
      this.live = this.live.filter((r) => r.id > s.last);
      const lost = unsent + queued;
      this.droppedCount += lost;
      if (this.readSid <= s.last) this.readSid = s.last + 1;
      if (this.buf?.seg === s) this.buf = undefined;
      if (this.frontier < s.last) this.frontier = s.last;
      for (const id of this.ackedAhead) if (id <= this.frontier) this.ackedAhead.delete(id);
      this.advance();
      unlinkSegment(s, this.o.logger);
      this.o.logger?.warn(
        {
          dropped: lost,
          droppedTotal: this.droppedCount,
          maxBytes: this.maxBytes,
          firstSid: s.first,
          lastSid: s.last,
        },
        'spool full: oldest segment dropped',
      );
    }
  }

  /** Start a new tail segment; when it cannot be created, the old tail stays open (and this throws). */
  private openTail(): void {
    this.segs.push(this.file.open(this.nextSid));
  }

  private saveCursor(): void {
    if (this.frontier === this.savedFrontier) return;
    if (saveAckedCursor(this.o.dir, this.frontier, this.o.logger)) this.savedFrontier = this.frontier;
  }

  /** Read back the segments left by an earlier run and the acked cursor. */
  private recover(): void {
    const dir = this.o.dir;
    const acked = readAckedCursor(dir, this.o.logger);
    this.segs.push(
      ...scanSegments(dir, acked, (path, line) => {
        this.corruptCount++;
        this.o.logger?.warn({ path, line }, 'spool record unreadable (torn write?); skipped');
      }),
    );
    const lastSeg = this.segs[this.segs.length - 1];
    this.nextSid = lastSeg ? lastSeg.last + 1 : Math.max(0, acked + 1);
    this.frontier = acked;
    this.savedFrontier = acked;
    this.readSid = Math.max(acked + 1, this.segs[0]?.first ?? this.nextSid);
    if (this.readSid - 1 > this.frontier) this.frontier = this.readSid - 1;
    if (this.depth > 0)
      this.o.logger?.info(
        { dir, depth: this.depth, segments: this.segs.length },
        'spool: replaying what an earlier run left',
      );
  }

  /** Segments of this run hold whole lines only; bad lines were counted (and logged) at recovery. */
  private load(seg: Segment): Rec[] {
    try {
      return parseSegment(readFileSync(seg.path, 'utf8'), () => undefined);
    } catch (e) {
      this.o.logger?.error(
        { err: (e as Error).message, path: seg.path },
        'cannot read a spool segment; skipped',
      );
      return [];
    }
  }
}
