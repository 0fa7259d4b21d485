/**
 * Recognises MQTT QoS 1 redeliveries by (station, bootId, seq), remembering a message only once
 * its lines are durable.
 *
 * A message whose lines the writer's spool could not make durable (the append was refused, or the
 * group commit covering them failed) is not acknowledged (ack-gate.ts): the broker sends it again
 * on the next connection, and that copy must be ingested, not ignored as a duplicate. So a key is
 * added to the seen set when the group commit covering its lines succeeded, and forgotten when it
 * failed. A copy that arrives before that is known is ingested again: its lines are written a
 * second time (harmless: the same point overwrites itself), and its own PUBACK waits for its own
 * lines, so it is acknowledged only if they became durable.
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
  /** Keys whose lines wait for a group commit, in log order. */
  private pending: { key: string; offset: number }[] = [];
  private head = 0;
  private synced = 0;
  /** Keys forgotten because their lines were refused or their group commit failed. */
  forgotten = 0;

  constructor(
    capacity: number,
    private readonly log?: LineLog,
  ) {
    this.seen = new BoundedSeenSet(capacity);
    log?.onDurable((offset, ok) => this.settle(offset, ok));
  }

  /** The message was handled before and its lines are durable: a redelivery to ignore. */
  has(key: string): boolean {
    return this.seen.has(key);
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
    // Bounded: past the capacity the oldest waiting key is let go (a resend is then ingested twice).
    if (this.pending.length - this.head > this.seen.capacity) this.head++;
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
    while (this.head < this.pending.length) {
      const p = this.pending[this.head] as { key: string; offset: number };
      if (p.offset > offset) break;
      this.head++;
      if (ok) this.seen.add(p.key);
      else this.forgotten++;
    }
    this.compact();
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
