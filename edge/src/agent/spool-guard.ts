/**
 * The disk spool behind a guard for a disk that refuses writes (full, read-only after an error,
 * failing SD card). A message the spool cannot write is held in memory instead of throwing out of
 * the serial data handler:
 *
 * - held messages keep their order; each later message waits behind them, and every push and every
 *   `retryMs` the guard tries to write them to disk again, oldest first;
 * - while the disk refuses them, held messages are still published (after what the spool holds),
 *   so with the broker connected nothing is lost;
 * - at most `maxHeld` are held; beyond, the oldest is dropped and counted (health `spool.dropped`);
 * - messages whose write failed are counted (health `spool.writeErrors`); the first failure of an
 *   episode is logged with the error, and so is the recovery (with what the episode cost).
 */
import type { Logger } from 'pino';
import type { Outbox, OutboxMessage } from './outbox.js';
import type { DiskSpool } from './spool.js';

export interface SpoolGuardOptions {
  /** Messages held in memory at most. Default {@link DEFAULT_SPOOL_HELD_MAX}. */
  maxHeld?: number;
  /** How often held messages are tried again, ms. Default 1 000. */
  retryMs?: number;
  logger: Logger;
}

/** 10 000 messages held in memory while the disk refuses writes (like the in-memory outbox). */
export const DEFAULT_SPOOL_HELD_MAX = 10_000;

export class GuardedSpool implements Outbox {
  /** Not on disk, oldest first; messages without an id. */
  private held: OutboxMessage[] = [];
  private readonly maxHeld: number;
  private writeErrorCount = 0;
  private droppedHere = 0;
  private episode: { since: number; writeErrors: number; dropped: number } | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly spool: DiskSpool,
    private readonly o: SpoolGuardOptions,
  ) {
    this.maxHeld = o.maxHeld ?? DEFAULT_SPOOL_HELD_MAX;
    this.timer = setInterval(() => this.flushHeld(), o.retryMs ?? 1000);
    this.timer.unref();
  }

  /** Messages the disk refused when they were made (held in memory instead). */
  get writeErrors(): number {
    return this.writeErrorCount;
  }
  /** Messages held in memory now. */
  get heldCount(): number {
    return this.held.length;
  }
  get depth(): number {
    return this.spool.depth + this.held.length;
  }
  get dropped(): number {
    return this.spool.dropped + this.droppedHere;
  }

  push(m: OutboxMessage): void {
    if (this.flushHeld() && this.write(m)) {
      this.recovered();
      return;
    }
    this.writeErrorCount++;
    this.hold([m], 'tail');
  }

  shift(): OutboxMessage | undefined {
    return this.spool.shift() ?? this.held.shift();
  }

  requeue(ms: readonly OutboxMessage[]): void {
    this.spool.requeue(ms.filter((m) => m.id !== undefined));
    this.hold(
      ms.filter((m) => m.id === undefined),
      'head',
    );
  }

  ack(m: OutboxMessage): void {
    if (m.id !== undefined) this.spool.ack(m);
  }

  oldestEnqueuedAt(): number | undefined {
    const a = this.spool.oldestEnqueuedAt();
    const b = this.held[0]?.enqueuedAt;
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  setLive(live: boolean): void {
    this.spool.setLive(live);
  }

  close(): void {
    clearInterval(this.timer);
    this.flushHeld();
    if (this.held.length)
      this.o.logger.error(
        { held: this.held.length },
        'spool: messages the disk refused are lost at exit (they were never written)',
      );
    this.spool.close();
  }

  /** Write held messages, oldest first, until one fails; true when none is left. */
  private flushHeld(): boolean {
    while (this.held.length) {
      const m = this.held[0];
      if (!m || !this.write(m)) return false;
      this.held.shift();
      if (!this.held.length) this.recovered();
    }
    return true;
  }

  private write(m: OutboxMessage): boolean {
    try {
      this.spool.push(m);
      return true;
    } catch (e) {
      if (!this.episode) {
        this.episode = { since: Date.now(), writeErrors: 0, dropped: 0 };
        this.o.logger.error(
          { err: (e as Error).message, code: (e as { code?: unknown }).code, maxHeld: this.maxHeld },
          'cannot write the spool (disk full?); holding messages in memory and retrying',
        );
      }
      return false;
    }
  }

  private hold(ms: readonly OutboxMessage[], where: 'head' | 'tail'): void {
    if (!ms.length) return;
    this.held = where === 'head' ? [...ms, ...this.held] : [...this.held, ...ms];
    if (this.episode && where === 'tail') this.episode.writeErrors += ms.length;
    const over = this.held.length - this.maxHeld;
    if (over <= 0) return;
    this.held.splice(0, over);
    this.droppedHere += over;
    if (this.episode && this.episode.dropped === 0)
      this.o.logger.error(
        { maxHeld: this.maxHeld },
        'spool: memory hold full while the disk refuses writes; dropping the oldest (counted in spool.dropped)',
      );
    if (this.episode) this.episode.dropped += over;
  }

  /** A write succeeded and nothing is held: the episode is over. */
  private recovered(): void {
    const e = this.episode;
    if (!e || this.held.length) return;
    this.episode = undefined;
    this.o.logger.info(
      { failedMs: Date.now() - e.since, writeErrors: e.writeErrors, dropped: e.dropped },
      'spool writable again; held messages written',
    );
  }
}
