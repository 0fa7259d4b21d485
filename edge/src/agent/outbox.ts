/**
 * Messages waiting to be published. The agent puts every station message here and a pump takes
 * them out while the broker is connected. Bounded: when full, the oldest message is dropped and
 * counted (visible in health as spool.dropped).
 *
 * The {@link Outbox} interface is the seam for the durable spool (`DiskSpool` in spool.ts, the
 * agent's default when it has a spool folder): it also implements `ack` (delivered, may be forgotten)
 * and `close`.
 */
import type { TopicLeafValue } from '@yizhan/protocol/mqtt';

export interface OutboxMessage {
  topic: string;
  leaf: TopicLeafValue;
  payload: Buffer;
  retain: boolean;
  /** When it was queued (Unix ms). */
  enqueuedAt: number;
  /** Position in a durable outbox (set by it). */
  id?: number;
}

export interface Outbox {
  /** Add at the tail. When full, the oldest message is dropped (and counted). */
  push(m: OutboxMessage): void;
  /** Take from the head, or undefined when empty. */
  shift(): OutboxMessage | undefined;
  /**
   * Put messages back at the head, in the given order (they were taken out but not delivered).
   * When full, the ones that do not fit are dropped and counted.
   */
  requeue(ms: readonly OutboxMessage[]): void;
  readonly depth: number;
  /** Messages dropped since start. */
  readonly dropped: number;
  /** Messages the disk refused to write (GuardedSpool); absent for outboxes without a disk. */
  readonly writeErrors?: number;
  /** enqueuedAt of the head, or undefined when empty. */
  oldestEnqueuedAt(): number | undefined;
  /** The broker acknowledged `m` (taken out with shift): a durable outbox may forget it. */
  ack?(m: OutboxMessage): void;
  /** Persist what is pending and release files. */
  close?(): void;
  /**
   * The link is up (true) or down (false). A two-lane outbox (DiskSpool) serves messages pushed
   * while up from a live lane ahead of the backlog, so live data is not stuck behind a replay.
   */
  setLive?(live: boolean): void;
}

/** Messages held while the broker is unreachable, at most. */
export const DEFAULT_OUTBOX_CAPACITY = 10_000;

/** A ring buffer in memory. */
export class MemoryOutbox implements Outbox {
  private readonly ring: (OutboxMessage | undefined)[];
  private head = 0;
  private size = 0;
  private droppedCount = 0;

  constructor(readonly capacity = DEFAULT_OUTBOX_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`outbox capacity must be >= 1, got ${capacity}`);
    this.ring = new Array<OutboxMessage | undefined>(capacity);
  }

  get depth(): number {
    return this.size;
  }
  get dropped(): number {
    return this.droppedCount;
  }

  push(m: OutboxMessage): void {
    if (this.size === this.capacity) {
      this.shift();
      this.droppedCount++;
    }
    this.ring[(this.head + this.size) % this.capacity] = m;
    this.size++;
  }

  shift(): OutboxMessage | undefined {
    if (this.size === 0) return undefined;
    const m = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    return m;
  }

  requeue(ms: readonly OutboxMessage[]): void {
    for (let i = ms.length - 1; i >= 0; i--) {
      const m = ms[i];
      if (!m) continue;
      if (this.size === this.capacity) {
        // The requeued messages are older than everything queued: they are the ones to drop.
        this.droppedCount += i + 1;
        return;
      }
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.ring[this.head] = m;
      this.size++;
    }
  }

  oldestEnqueuedAt(): number | undefined {
    return this.size === 0 ? undefined : this.ring[this.head]?.enqueuedAt;
  }
}
