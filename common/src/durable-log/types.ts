/**
 * The options and the shapes a {@link SegmentLog} (log.ts) takes and gives, with its defaults.
 */
export type LogDropReason = 'full' | 'memory_full';
export type LogOp = 'open' | 'append' | 'sync' | 'read' | 'cursor' | 'delete';
export type FsyncPolicy = 'group' | 'none';

/** File operations the log uses; replaceable to inject I/O errors in tests. */
export interface LogIo {
  writeSync(fd: number, buf: Buffer, off: number, len: number): number;
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
}

export interface LogOptions {
  /** Folder of the segments (created when missing); none: memory only. */
  dir?: string;
  /** Largest size of all segments, bytes. Default 1 GiB. */
  maxBytes?: number;
  /**
   * Age bound, checked at each append: a segment whose last record is older than this is dropped
   * like one past `maxBytes` (never the one taking appends). Default: none.
   */
  maxAgeMs?: number;
  /** A new segment starts past this size, bytes. Default 8 MiB. */
  segmentBytes?: number;
  /** Default `group`. */
  fsync?: FsyncPolicy;
  /** Group commit: at most one fdatasync per this many ms. Default 10. */
  syncIntervalMs?: number;
  /** Group commit: sync at once when this many bytes wait. Default 1 MiB. */
  syncBytes?: number;
  /** The cursor file is rewritten at most this often, ms. Default 1 000. */
  cursorSaveMs?: number;
  /** Records kept in memory for batches without a disk read. Default 50 000. */
  maxMemoryRecords?: number;
  /** Write every add of an event-loop turn in one write at the turn's end. Default false: at once. */
  appendPerTurn?: boolean;
  /** After each commit: durable up to `offset`; `ok` false when the sync or append failed; its duration. */
  onDurable?: (offset: number, ok: boolean, syncMs: number) => void;
  /** With `full`: the dropped segment's end offset, and how many of its records the reader had not reached. */
  onDropped?: (records: number, reason: LogDropReason, segment?: { end: number; unread: number }) => void;
  onError?: (op: LogOp, err: Error) => void;
  /** Records of a deferred append that could not be written (not in the log). */
  onAppendFailed?: (records: readonly string[], err: Error) => void;
  /** Records were written and can be taken in a batch. */
  onAppended?: () => void;
  io?: Partial<LogIo>;
}

/** Records taken by {@link SegmentLog.batch}; hand it back to accept or reject. */
export interface LogBatch {
  records: string[];
  /** Log offsets of its first byte and after its last. */
  start: number;
  end: number;
  /** Read from disk (not from memory). */
  fromDisk: boolean;
  done?: boolean;
}

export type AddResult = { ok: true; end: number } | { ok: false; error: Error };

export const DEFAULTS = {
  maxBytes: 1024 ** 3,
  maxAgeMs: Infinity,
  segmentBytes: 8 * 1024 ** 2,
  fsync: 'group' as FsyncPolicy,
  syncIntervalMs: 10,
  syncBytes: 1024 ** 2,
  cursorSaveMs: 1000,
  maxMemoryRecords: 50_000,
  appendPerTurn: false,
};
