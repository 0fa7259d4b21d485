/**
 * Recognises MQTT QoS 1 redeliveries by (station, bootId, seq), remembering a message for good only
 * once its lines are durable.
 *
 * A message whose lines the writer's spool could not make durable (the append was refused, or the
 * group commit covering them failed) is not acknowledged (ack-gate.ts): the broker sends it again
 * on the next connection, and that copy must be ingested, not ignored as a duplicate. So a key is
 * `durable` once the group commit covering its lines succeeded, and forgotten when the append was
 * refused or the commit failed. Until that is known the key is `unsettled`: a copy arriving then is
 * a duplicate for live state and the alert rules, but its lines are written again (harmless: the
 * same point overwrites itself), so its own PUBACK waits for its own lines and is sent only if
 * they became durable, whatever happens to the first copy's.
 */
import { BoundedSeenSet } from '../util/bounded.js';

/** The writer's log, as far as dedupe needs it (InfluxWriter). */
export interface LineLog {
  /** Log offset after the lines added last. */
  readonly end: number;
  /** Lines refused so far (not in the log: their messages are not acknowledged). */
  readonly refusedLines: number;
  /** Called after each group commit: durable up to `offset`, `ok` false when the sync failed. */
  onDurable(listener: (offset: number, ok: boolean) => void): void;
}

export class Redeliveries {
  private readonly seen: BoundedSeenSet;
  /** Writes whose lines wait for a group commit, in log order. */
  private pending: { key: string; offset: number }[] = [];
  private head = 0;
  /** Key → its writes in `pending`. */
  private readonly unsettled = new Map<string, number>();
  private synced = 0;
  /** Writes forgotten because their lines were refused or their group commit failed. */
  forgotten = 0;

  constructor(
    capacity: number,
    private readonly log?: LineLog,
  ) {
    this.seen = new BoundedSeenSet(capacity);
    log?.onDurable((offset, ok) => this.settle(offset, ok));
  }

  /** `durable`: handled before and its lines are durable; `unsettled`: handled, not yet known. */
  known(key: string): 'durable' | 'unsettled' | undefined {
    if (this.seen.has(key)) return 'durable';
    return this.unsettled.has(key) ? 'unsettled' : undefined;
  }

  /** Write the message's lines to `sink`; remember `key` once they are durable. */
  write(
    key: string | undefined,
    sink: { write(lines: readonly string[]): void },
    lines: readonly string[],
  ): void {
    const log = this.log;
    if (!log) {
      sink.write(lines);
      if (key !== undefined) this.seen.add(key);
      return;
    }
    const refused = log.refusedLines;
    sink.write(lines);
    if (key === undefined) return;
    if (log.refusedLines !== refused) {
      this.forgotten++;
      return;
    }
    // A memory-only log is durable at once (its onDurable ran inside write()).
    if (this.synced >= log.end) return this.seen.add(key);
    this.pending.push({ key, offset: log.end });
    this.unsettled.set(key, (this.unsettled.get(key) ?? 0) + 1);
    // Bounded: past the capacity the oldest waiting write is let go (a copy is then written again).
    if (this.pending.length - this.head > this.seen.capacity) this.release(false);
    this.compact();
  }

  /** A message without lines: nothing to make durable. */
  remember(key: string): void {
    this.seen.add(key);
  }

  get size(): number {
    return this.seen.size;
  }

  private settle(offset: number, ok: boolean): void {
    this.synced = offset;
    while (this.head < this.pending.length && (this.pending[this.head]?.offset ?? Infinity) <= offset)
      this.release(ok);
    this.compact();
  }

  /** Take the oldest pending write: its key durable (`ok`) or one write fewer waiting. */
  private release(ok: boolean): void {
    const p = this.pending[this.head++];
    if (!p) return;
    const n = (this.unsettled.get(p.key) ?? 1) - 1;
    if (n > 0) this.unsettled.set(p.key, n);
    else this.unsettled.delete(p.key);
    if (ok) this.seen.add(p.key);
    else this.forgotten++;
  }

  private compact(): void {
    if (this.head === this.pending.length) {
      this.pending = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }
}
