/**
 * The newest records of a {@link SegmentLog} (log.ts) in memory, one chunk per add, in log order:
 * batches come from here without a disk read. `head` is the oldest chunk kept, `next` the first
 * not yet taken into a batch.
 */
export interface Chunk {
  /** Log offsets of its first byte and after its last. */
  start: number;
  end: number;
  records: readonly string[];
}

export class MemoryTail {
  private chunks: Chunk[] = [];
  private head = 0;
  private next = 0;
  /** Records held (from head). */
  records = 0;
  /** Records not yet taken (from next). */
  unread = 0;

  /** Log offset of the oldest chunk held, or `end` when none is. */
  start(end: number): number {
    return this.chunks[this.head]?.start ?? end;
  }

  push(c: Chunk): void {
    this.chunks.push(c);
    this.records += c.records.length;
    this.unread += c.records.length;
  }

  /** Whole chunks from `next`, at least one, up to `max` records. Undefined when none is unread. */
  take(max: number): { records: string[]; end: number } | undefined {
    const records: string[] = [];
    let end: number | undefined;
    while (this.next < this.chunks.length) {
      const c = this.chunks[this.next] as Chunk;
      if (records.length > 0 && records.length + c.records.length > max) break;
      for (const r of c.records) records.push(r);
      end = c.end;
      this.next++;
    }
    if (end === undefined) return undefined;
    this.unread -= records.length;
    return { records, end };
  }

  /** Let go of the oldest chunk; returns it, and whether it had not been taken yet. */
  evictOldest(): { chunk: Chunk; unread: boolean } | undefined {
    const c = this.chunks[this.head];
    if (!c) return undefined;
    const unread = this.head >= this.next;
    this.records -= c.records.length;
    if (unread) {
      this.unread -= c.records.length;
      this.next++;
    }
    this.head++;
    this.compact();
    return { chunk: c, unread };
  }

  /** Let go of the oldest chunks that end at or before `offset` (`takenOnly`: only taken ones). */
  releaseUpTo(offset: number, takenOnly: boolean): void {
    const limit = takenOnly ? this.next : this.chunks.length;
    while (this.head < limit && (this.chunks[this.head] as Chunk).end <= offset) {
      const n = (this.chunks[this.head] as Chunk).records.length;
      this.records -= n;
      if (this.head >= this.next) this.unread -= n;
      this.head++;
    }
    this.next = Math.max(this.next, this.head);
    this.compact();
  }

  /** Take from the chunk starting at log offset `pos` next (or the oldest, before it). */
  seek(pos: number): void {
    let lo = this.head;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.chunks[mid] as Chunk).start < pos) lo = mid + 1;
      else hi = mid;
    }
    this.next = lo;
    this.unread = 0;
    for (let j = lo; j < this.chunks.length; j++) this.unread += (this.chunks[j] as Chunk).records.length;
  }

  /** Every record held, oldest first. */
  all(): string[] {
    const out: string[] = [];
    for (let j = this.head; j < this.chunks.length; j++)
      for (const r of (this.chunks[j] as Chunk).records) out.push(r);
    return out;
  }

  /** Drop the emptied front of the array once it is most of it (each chunk moves once). */
  private compact(): void {
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.next = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.next -= this.head;
      this.head = 0;
    }
  }
}
