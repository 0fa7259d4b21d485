/**
 * An append-only journal file with group commit, for the broker's on-disk state
 * (broker/src/disk-state.ts says what the records mean).
 *
 * Record framing: `[u32 LE payload length][u32 LE CRC-32 of the payload][payload]`. On open, the
 * file is read record by record; the first record whose length runs past the end of the file or
 * whose CRC does not match ends the journal: it and everything after it are cut off and reported
 * (a crash in the middle of an append leaves such a torn tail).
 *
 * Appends are buffered and written once per event-loop turn (one write for all records of the
 * turn). `appendDurable` resolves once its record is on disk (write + fdatasync); records appended
 * with `append` ride along with the next write and need no fsync of their own. While a write is in
 * flight, new records gather for the next one, so one fdatasync covers every durable record of a
 * batch however many arrive.
 *
 * Compaction writes the current state (records from `snapshot()`) to `<file>.tmp`, fsyncs it,
 * renames it over the journal and fsyncs the folder: a crash at any point leaves either the old or
 * the new journal, never a mix. It runs at open, when the journal has grown past its bound, and
 * after a failed write (a failed write may have left part of a record in the file; the state held
 * in memory is rewritten whole instead). After a failure, another attempt is made at most once per
 * `retryMs`; meanwhile durable appends are refused at once.
 */
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';

const HEADER_BYTES = 8;
/** A record longer than this is taken as garbage (a torn length field), not allocated. */
export const MAX_RECORD_BYTES = 512 * 1024 * 1024;

/** The header of one record. */
function header(payload: Buffer): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt32LE(payload.length, 0);
  h.writeUInt32LE(crc32(payload), 4);
  return h;
}

/** Frame one record. */
export function frame(payload: Buffer): Buffer {
  return Buffer.concat([header(payload), payload]);
}

export interface ParsedJournal {
  records: Buffer[];
  /** Bytes of whole, intact records. */
  validBytes: number;
  /** Bytes cut off at the end (a torn or corrupt record and whatever follows it). */
  tornBytes: number;
  /** Why the tail was cut, when it was. */
  tornReason?: string;
}

/** Split a journal's bytes into records, stopping at the first torn or corrupt one. */
export function parseJournal(buf: Buffer): ParsedJournal {
  const records: Buffer[] = [];
  let at = 0;
  let tornReason: string | undefined;
  while (at < buf.length) {
    if (buf.length - at < HEADER_BYTES) {
      tornReason = `a record header of ${buf.length - at} bytes (8 expected)`;
      break;
    }
    const len = buf.readUInt32LE(at);
    if (len > MAX_RECORD_BYTES || at + HEADER_BYTES + len > buf.length) {
      tornReason = `a record of ${len} bytes with ${buf.length - at - HEADER_BYTES} bytes left in the file`;
      break;
    }
    const payload = buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + len);
    if (crc32(payload) !== buf.readUInt32LE(at + 4)) {
      tornReason = `a record of ${len} bytes whose CRC does not match`;
      break;
    }
    records.push(payload);
    at += HEADER_BYTES + len;
  }
  return { records, validBytes: at, tornBytes: buf.length - at, ...(tornReason ? { tornReason } : {}) };
}

/** Read a journal file; a missing file is an empty journal. */
export async function readJournal(file: string): Promise<ParsedJournal> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], validBytes: 0, tornBytes: 0 };
    throw e;
  }
  return parseJournal(buf);
}

export interface JournalOptions {
  file: string;
  /** The whole current state as records (payloads, unframed); called synchronously when compacting. */
  snapshot: () => Buffer[];
  /** Compact once the journal exceeds max(compactBytes, 4 × the last compacted size). */
  compactBytes: number;
  /** After a failed write, wait this long before the next attempt (durable appends are refused meanwhile). */
  retryMs?: number;
  /** A write, fsync or compaction failed (called once per failure). */
  onError: (err: Error, op: 'write' | 'compact') => void;
  /** The journal works again after failures. */
  onRecovered?: () => void;
  /** A write completed: bytes written, whether it was fsynced, how long it took (ms). */
  onFlush?: (bytes: number, synced: boolean, ms: number) => void;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class Journal {
  private fh: FileHandle | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Settles when the batch now gathering is on disk (created by the first durable append). */
  private durable: Deferred | undefined;
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  private bytes = 0;
  private compactedBytes = 0;
  private failedAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The last failure, until a write succeeds again. */
  lastError: Error | undefined;

  private constructor(private readonly opts: JournalOptions) {}

  /** Write the state from `opts.snapshot()` as a fresh journal and open it for appending. */
  static async create(opts: JournalOptions): Promise<Journal> {
    const j = new Journal(opts);
    await j.rewrite(opts.snapshot());
    return j;
  }

  /** Bytes in the journal file now. */
  get size(): number {
    return this.bytes;
  }

  append(payload: Buffer): void {
    if (this.closed) return;
    this.pending.push(header(payload), payload);
    this.pendingBytes += HEADER_BYTES + payload.length;
    this.schedule();
  }

  /** Append; resolves once the record is on disk, rejects when it could not be written. */
  appendDurable(payload: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('broker state journal is closed'));
    if (this.lastError && Date.now() - this.failedAt < (this.opts.retryMs ?? 1000))
      return Promise.reject(new Error(`broker state journal unusable: ${this.lastError.message}`));
    this.append(payload);
    return (this.durable ??= deferred()).promise;
  }

  /** Write what is pending, fsync, close the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pending.length) {
      this.durable ??= deferred();
      this.schedule();
    }
    await this.durable?.promise.catch(() => undefined);
    await this.flushing;
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.drain().finally(() => {
        this.flushing = undefined;
        if (this.pending.length) this.schedule();
      });
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length || this.durable) {
      const batch = this.pending;
      const bytes = this.pendingBytes;
      const done = this.durable;
      this.pending = [];
      this.pendingBytes = 0;
      this.durable = undefined;
      const t0 = performance.now();
      const limit = Math.max(this.opts.compactBytes, 4 * this.compactedBytes);
      const compact = this.lastError !== undefined || this.bytes + bytes > limit;
      try {
        if (compact) {
          // The state in memory already holds every change of this batch: the snapshot replaces it.
          await this.rewrite(this.opts.snapshot());
        } else {
          await this.write(batch, bytes, done !== undefined);
          this.opts.onFlush?.(bytes, done !== undefined, performance.now() - t0);
        }
        if (this.lastError) {
          this.lastError = undefined;
          this.opts.onRecovered?.();
        }
        done?.resolve();
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        this.lastError = err;
        this.failedAt = Date.now();
        this.opts.onError(err, compact ? 'compact' : 'write');
        done?.reject(err);
        // Records of later turns wait for the retry: another attempt now would fail the same way.
        // With nothing waiting, a retry is made anyway, so /healthz recovers without traffic.
        if (this.pending.length || this.durable) await sleep(this.opts.retryMs ?? 1000);
        else this.retryLater();
      }
    }
  }

  private retryLater(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.closed || !this.lastError) return;
      this.durable ??= deferred();
      this.durable.promise.catch(() => undefined); // failures are reported through onError
      this.schedule();
    }, this.opts.retryMs ?? 1000).unref();
  }

  private async write(batch: Buffer[], bytes: number, sync: boolean): Promise<void> {
    const fh = this.fh;
    if (!fh) throw new Error('broker state journal is not open');
    const buf = Buffer.concat(batch, bytes);
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await fh.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
    this.bytes += bytes;
    if (sync) await fh.datasync();
  }

  /** Replace the journal by these records (atomically: temp file, fsync, rename, fsync of the folder). */
  private async rewrite(records: Buffer[]): Promise<void> {
    const tmp = `${this.opts.file}.tmp`;
    const framed = records.map(frame);
    const buf = Buffer.concat(framed);
    let fh: FileHandle | undefined;
    try {
      fh = await open(tmp, 'w', 0o600);
      let off = 0;
      while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
      await fh.datasync();
      await fh.close();
      fh = undefined;
      await rename(tmp, this.opts.file);
      await syncDir(dirname(this.opts.file));
    } catch (e) {
      await fh?.close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
    const next = await open(this.opts.file, 'a', 0o600);
    const old = this.fh;
    this.fh = next;
    await old?.close().catch(() => undefined);
    this.bytes = buf.length;
    this.compactedBytes = buf.length;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** fsync a folder, so a rename in it survives power loss. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
