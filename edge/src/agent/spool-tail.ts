/**
 * The files of the DiskSpool (spool.ts) as it writes them: the tail segment it appends records to
 * (one synchronous write each; a failed write leaves no partial line behind), the fsync policy, the
 * `acked` cursor file (tmp + rename) and the deletion of whole segments. The bookkeeping of sids,
 * lanes and acknowledgements stays in spool.ts.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Segment } from './spool-format.js';

export type FsyncPolicy = 'always' | 'interval' | 'never';

/** The spool folder cannot be used (permissions, not a folder); retrying will not help. */
export class SpoolError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'SpoolError';
  }
}

/** The open tail segment: appends, fsyncs by policy, rotation to a new file. */
export class TailFile {
  private fd: number | undefined;
  private dirty = false;
  /** A failed write left a partial line that could not be cut off: start the next one on a new line. */
  private tornTail = false;

  constructor(
    private readonly dir: string,
    private readonly fsync: FsyncPolicy,
    private readonly logger?: Logger,
  ) {}

  /** Start a new tail segment for sid `first`; when it cannot be created, the old tail stays open (and this throws). */
  open(first: number): Segment {
    const path = join(this.dir, `${String(first).padStart(16, '0')}.seg`);
    const fd = openSync(path, 'a');
    if (this.fd !== undefined) {
      if (this.fsync !== 'never') this.sync();
      closeSync(this.fd);
    }
    this.fd = fd;
    this.tornTail = false;
    this.dirty = false;
    return { first, last: first - 1, bytes: 0, path };
  }

  /**
   * Write one record to `tail` (the segment open()ed last). A failed write (disk full, I/O error)
   * throws and leaves the segment as it was: a partly written line is cut off, or, when that fails
   * too, ended by the next record's newline. `tail.bytes` counts that newline, not `line`.
   */
  append(tail: Segment, line: string): void {
    const fd = this.fd;
    if (fd === undefined) throw new SpoolError('spool tail is not open');
    const text = this.tornTail ? `\n${line}` : line;
    try {
      const n = writeSync(fd, text);
      const want = Buffer.byteLength(text);
      if (n !== want) throw new SpoolError(`short write to the spool: ${n} of ${want} bytes (disk full?)`);
    } catch (e) {
      try {
        ftruncateSync(fd, tail.bytes);
        this.tornTail = false;
      } catch {
        this.tornTail = true;
      }
      throw e;
    }
    if (this.tornTail) tail.bytes += 1;
    this.tornTail = false;
    this.dirty = true;
    if (this.fsync === 'always') this.sync();
  }

  /** fsync the tail when something was written since the last one (a failure is logged). */
  sync(): void {
    if (!this.dirty || this.fd === undefined) return;
    this.dirty = false;
    try {
      fsyncSync(this.fd);
    } catch (e) {
      this.logger?.warn({ err: (e as Error).message }, 'spool fsync failed');
    }
  }

  /** fsync and close the tail. */
  close(): void {
    if (this.fd === undefined) return;
    this.dirty = true;
    this.sync(); // a failing disk is logged, not thrown at shutdown
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Write the acked cursor (tmp + rename); false (logged) when it could not be saved. */
export function saveAckedCursor(dir: string, frontier: number, logger?: Logger): boolean {
  const file = join(dir, 'acked');
  try {
    writeFileSync(`${file}.tmp`, String(frontier));
    renameSync(`${file}.tmp`, file);
    return true;
  } catch (e) {
    logger?.warn({ err: (e as Error).message, file }, 'cannot save the spool cursor; will retry');
    return false;
  }
}

/** Delete a segment file (a failure is logged). */
export function unlinkSegment(s: Segment, logger?: Logger): void {
  try {
    unlinkSync(s.path);
  } catch (e) {
    logger?.warn({ err: (e as Error).message, path: s.path }, 'cannot delete a spool segment');
  }
}
