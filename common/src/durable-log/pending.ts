/**
 * Records added to a {@link SegmentLog} (log.ts) in this event-loop turn, encoded into one buffer so
 * the whole turn reaches the segment file in one write: at 5,000 messages/s one write() per message
 * was the largest share of the server's CPU per message after the JSON parse (docs/benchmarks.md).
 */
import type { Chunk } from './memory.js';

export class PendingAppends {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private len = 0;
  private chunks: Chunk[] = [];

  /** Bytes waiting. */
  get bytes(): number {
    return this.len;
  }

  /** Encode `records` (each followed by a newline) behind what waits; `start` is their log offset. */
  add(records: readonly string[], start: number): Chunk {
    const from = this.len;
    this.len = encodeInto(this, records, from);
    const c = { start, end: start + this.len - from, records };
    this.chunks.push(c);
    return c;
  }

  /** What waits, and empty again. The buffer is reused: write it before the next add. */
  take(): { buf: Buffer; chunks: Chunk[] } {
    const out = { buf: this.buf.subarray(0, this.len), chunks: this.chunks };
    this.len = 0;
    this.chunks = [];
    return out;
  }

  /** Room for `n` more bytes after `used`. */
  reserve(used: number, n: number): Buffer {
    if (used + n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, used + n));
      this.buf.copy(bigger, 0, 0, used);
      this.buf = bigger;
    }
    return this.buf;
  }
}

/** The records, each followed by a newline, written into `into`'s buffer from `off`; the new length. */
export function encodeInto(
  into: { reserve(used: number, n: number): Buffer },
  records: readonly string[],
  off: number,
): number {
  for (const r of records) {
    // UTF-16 code unit → at most 3 UTF-8 bytes.
    const b = into.reserve(off, r.length * 3 + 1);
    off += b.write(r, off);
    b[off++] = 10;
  }
  return off;
}
