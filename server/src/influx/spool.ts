/**
 * The server's write-ahead spool of InfluxDB lines: the durable log (common/src/durable-log) with
 * the server's defaults, plus taking over a spool of the format before it (`seg-*.lp` + `.pos`).
 * What a record is (a line of line protocol) and what delivering it means stay in writer.ts.
 *
 *   <dir>/0000000000000000.log    oldest segment; its first byte is log offset 0
 *   <dir>/0000000008388731.log    next segment, starting at log offset 8,388,731
 *   <dir>/cursor                  log offset up to which every line was written to InfluxDB
 */
import { existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  SegmentLog,
  type LogBatch,
  type LogDropReason,
  type LogIo,
  type LogOp,
  type LogOptions,
} from '@yizhan/common/durable-log';

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
/** Lines kept in memory for delivery without a disk read. */
export const DEFAULT_SPOOL_MEMORY_RECORDS = 50_000;

export type SpoolBatch = LogBatch;
export type SpoolDropReason = LogDropReason;
export type SpoolOp = LogOp;
export type SpoolIo = LogIo;
export type SpoolOptions = LogOptions;
/** What the writer's caller sets: where, how large, how often it syncs; the rest is the writer's. */
export type SpoolSettings = Pick<
  SpoolOptions,
  'dir' | 'maxBytes' | 'segmentBytes' | 'syncIntervalMs' | 'syncBytes' | 'io'
>;

export class Spool extends SegmentLog {
  /** Lines taken over at open from a spool of the previous format. */
  readonly imported: number = 0;

  constructor(opts: SpoolOptions = {}) {
    super({
      maxBytes: DEFAULT_SPOOL_MAX_BYTES,
      segmentBytes: DEFAULT_SPOOL_SEGMENT_BYTES,
      syncIntervalMs: DEFAULT_SPOOL_SYNC_INTERVAL_MS,
      syncBytes: DEFAULT_SPOOL_SYNC_BYTES,
      cursorSaveMs: SPOOL_CURSOR_SAVE_MS,
      maxMemoryRecords: DEFAULT_SPOOL_MEMORY_RECORDS,
      ...opts,
    });
    if (this.dir !== undefined)
      this.imported = importLegacy(
        this.dir,
        (records) => this.add(records).ok && this.flush() === undefined,
        () => this.commitNow(),
      );
  }
}

const LEGACY = /^seg-\d{16}\.lp$/;

/**
 * Take over a spool of the previous format (`seg-<n>.lp` segments, the oldest with a `.pos` replay
 * offset; written only while InfluxDB was down or slow): its records not yet replayed are added to
 * the log in order, made durable (`sync`), and the old files deleted. Returns the records taken.
 * When `add` fails the old files stay for the next start.
 */
function importLegacy(dir: string, add: (records: string[]) => boolean, sync: () => void): number {
  const files = readdirSync(dir)
    .filter((f) => LEGACY.test(f))
    .sort();
  if (files.length === 0) return 0;
  let taken = 0;
  for (const [i, f] of files.entries()) {
    let pos = 0;
    if (i === 0)
      try {
        pos = Number(readFileSync(join(dir, f.replace(/\.lp$/, '.pos')), 'utf8')) || 0;
      } catch {
        pos = 0; // no replay position: the segment was not replayed at all
      }
    const lines = readFileSync(join(dir, f)).subarray(pos).toString('utf8').split('\n');
    lines.pop(); // '' after the last newline, or a torn last line
    const records = lines.filter(Boolean);
    for (let j = 0; j < records.length; j += 1000) {
      if (!add(records.slice(j, j + 1000))) return taken;
      taken += Math.min(1000, records.length - j);
    }
  }
  sync();
  for (const f of files) {
    const pos = join(dir, f.replace(/\.lp$/, '.pos'));
    unlinkSync(join(dir, f));
    if (existsSync(pos)) unlinkSync(pos);
  }
  return taken;
}
