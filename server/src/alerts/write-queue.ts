/**
 * Group commit for the alert engine's writes to the operations store. The engine fires and
 * resolves synchronously from ingest; a transaction per transition would cost one fsync each
 * (SQLite synchronous=FULL) and stall an alert storm. Instead transitions wait here and one
 * transaction writes everything queued since the last one: a single fsync per batch, in order.
 *
 * Bounded: past `maxQueued` a new item is dropped (reason queue_full). A batch that fails is
 * retried with doubling backoff; after `maxAttempts` it is dropped (write_failed). At close the
 * queue is drained until a deadline; what is left is dropped (shutdown). Every drop goes through
 * `onDrop` (a metric and a log line): nothing disappears silently.
 */

export interface WriteQueueOptions {
  /** Items waiting at most. */
  maxQueued: number;
  /** Items in one transaction at most. */
  maxBatch: number;
  /** Attempts per batch, the first included. */
  maxAttempts: number;
  /** Wait before the first retry, ms; doubles per attempt. */
  retryMs: number;
}

export const DEFAULT_WRITE_QUEUE_OPTIONS: WriteQueueOptions = {
  maxQueued: 50_000,
  maxBatch: 1000,
  maxAttempts: 5,
  retryMs: 100,
};

export type DropReason = 'queue_full' | 'write_failed' | 'shutdown';

export interface WriteQueueHooks<T> {
  /** Writes the batch in one transaction; throws to have it retried. */
  write(batch: readonly T[]): Promise<void>;
  /** Items given up. */
  onDrop(reason: DropReason, items: readonly T[], err?: Error): void;
  /** Depth after every change. */
  onDepth?(n: number): void;
  /** A batch committed: the enqueue time (performance.now()) of each item. */
  onCommit?(queuedAt: readonly number[]): void;
}

interface Queued<T> {
  item: T;
  at: number;
}

export class WriteQueue<T> {
  private readonly items: Queued<T>[] = [];
  private readonly opts: WriteQueueOptions;
  private running: Promise<void> | undefined;
  private closed = false;
  private idle: (() => void)[] = [];
  private inFlight = 0;

  constructor(
    private readonly hooks: WriteQueueHooks<T>,
    opts: Partial<WriteQueueOptions> = {},
  ) {
    this.opts = { ...DEFAULT_WRITE_QUEUE_OPTIONS, ...opts };
  }

  /** Items not yet committed: waiting and in the transaction being written. */
  get depth(): number {
    return this.items.length + this.inFlight;
  }

  /** Queue one item; false when it was dropped (queue full or closed). */
  push(item: T): boolean {
    if (this.closed || this.items.length >= this.opts.maxQueued) {
      this.hooks.onDrop(this.closed ? 'shutdown' : 'queue_full', [item]);
      return false;
    }
    this.items.push({ item, at: performance.now() });
    this.hooks.onDepth?.(this.depth);
    // The first item of a turn starts the writer on the next turn: what else is queued in this turn
    // joins the same transaction.
    this.running ??= new Promise<void>((r) => setImmediate(r)).then(() => this.drain());
    return true;
  }

  /** Resolves once everything queued so far is written (or dropped). */
  flushed(): Promise<void> {
    if (!this.running && this.items.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /** Take no more items; write what is queued until `graceMs`, drop the rest (shutdown). */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
    const res = await Promise.race([this.flushed(), late]);
    clearTimeout(timer);
    if (res === 'late') {
      // The batch in flight is the writer's: it ends committed or counted as write_failed.
      const left = this.items.splice(0);
      if (left.length)
        this.hooks.onDrop(
          'shutdown',
          left.map((q) => q.item),
        );
      this.hooks.onDepth?.(this.depth);
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.items.length) {
        const batch = this.items.splice(0, this.opts.maxBatch);
        this.inFlight = batch.length;
        const err = await this.writeWithRetry(batch);
        this.inFlight = 0;
        this.hooks.onDepth?.(this.depth);
        if (err)
          this.hooks.onDrop(
            'write_failed',
            batch.map((q) => q.item),
            err,
          );
        else this.hooks.onCommit?.(batch.map((q) => q.at));
      }
    } finally {
      this.running = undefined;
      for (const r of this.idle.splice(0)) r();
    }
  }

  /** undefined when written, else the last error. */
  private async writeWithRetry(batch: readonly Queued<T>[]): Promise<Error | undefined> {
    let wait = this.opts.retryMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.hooks.write(batch.map((q) => q.item));
        return undefined;
      } catch (e) {
        if (attempt >= this.opts.maxAttempts || this.closed) return e as Error;
        await new Promise((r) => setTimeout(r, wait));
        wait *= 2;
      }
    }
  }
}
