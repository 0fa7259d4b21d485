/**
 * The durable notification outbox (issue 13): messages are rows in the operations store before
 * anything is sent, so a restart, a channel outage or a second server process loses nothing and
 * sends nothing twice that was known to be sent.
 *
 * - enqueue() inserts by a unique dedupe key (`${alertId}:${transition}:${channel}`): the same event
 *   enqueued twice is one row. Given the caller's transaction, the item commits with the alert write.
 * - The worker claims due items with one UPDATE … RETURNING (on PostgreSQL its sub-select takes
 *   `FOR UPDATE SKIP LOCKED`, so two processes never claim one row; on SQLite the statement is its
 *   own write transaction and the database has one writer), sends, and commits the attempt and the
 *   new state before it sends the next message.
 * - A failed retryable attempt waits by the shared backoff (or the channel's retryAfterMs, if
 *   longer); an item still undelivered `maxAgeMs` after it was enqueued is `dead` (counted,
 *   logged). A non-retryable answer makes it `failed` at once.
 * - At-least-once: a process that dies between the channel's answer and the commit of that attempt
 *   leaves the row `sending`; once its claim expires (`claimMs`) another worker sends it again (on
 *   SQLite, the one process's next start sends it at once: {@link Outbox.releaseOrphans}). That
 *   window is one HTTP answer plus one small commit per message; nothing else can send twice.
 * - Rate limit: a token bucket per channel and per process; items beyond it stay pending for a
 *   later pass, never dropped. With `merge`, items due together on one channel with one group key
 *   become one message (a storm → a few messages).
 */
import { Backoff, type BackoffOptions } from '@yizhan/common/backoff';
import { retryDelayMs } from '@yizhan/common/retry';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, OutboxTable } from '../store/schema.js';
import type { Channel, OutboundMessage, SendResult } from './channel.js';
import { OUTBOX_DEFAULTS, type OutboxItem, type OutboxOptions } from './outbox-options.js';
import { groupRows, sendSafely } from './outbox-batch.js';
import { outboxMetrics, type OutboxMetrics } from './outbox-metrics.js';
import { TokenBucket } from './token-bucket.js';

export {
  OUTBOX_DEFAULTS,
  type OutboxItem,
  type OutboxLog,
  type OutboxOptions,
  type OutboxState,
} from './outbox-options.js';

type Row = Selectable<OutboxTable>;

/** A pass ends after this many batches per channel, so one pass cannot run on without end. */
const MAX_BATCHES_PER_PASS = 50;
/** Rows per INSERT: 500 × 7 parameters, far below either engine's limit. */
const ENQUEUE_CHUNK = 500;
type Db = Kysely<Database>;

export class Outbox {
  private readonly o: Required<Omit<OutboxOptions, 'registry' | 'log' | 'merge' | 'backoff'>> &
    Pick<OutboxOptions, 'log' | 'merge'> & { backoff: Partial<BackoffOptions> };
  private readonly channels = new Map<string, Channel>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly m: OutboxMetrics;
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  /** A nudge arrived during a pass: the next pass starts without waiting for the poll. */
  private nudged = false;

  constructor(opts: OutboxOptions) {
    this.o = {
      workerId: `${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      now: Date.now,
      random: Math.random,
      ...OUTBOX_DEFAULTS,
      ...opts,
    };
    for (const c of opts.channels) this.channels.set(c.name, c);
    this.m = outboxMetrics(opts.registry);
  }

  private get db(): Db {
    return this.o.store.db;
  }

  /** Insert items; one already there by dedupe key is left as it is. Returns how many were new. */
  async enqueue(items: OutboxItem[], trx?: Transaction<Database>): Promise<number> {
    if (!items.length) return 0;
    const now = this.o.now();
    const rows = items.map((i) => ({
      dedupe_key: i.dedupeKey,
      channel: i.channel,
      group_key: i.groupKey ?? null,
      payload_json: JSON.stringify(i.message),
      state: 'pending',
      next_attempt_at: Math.max(now, i.notBefore ?? now),
      created_at: now,
    }));
    // Chunks keep each INSERT under SQLite's and PostgreSQL's bound-parameter limits.
    const insert = async (db: Kysely<Database>) => {
      let added = 0;
      for (let i = 0; i < rows.length; i += ENQUEUE_CHUNK) {
        const res = await db
          .insertInto('outbox')
          .values(rows.slice(i, i + ENQUEUE_CHUNK))
          .onConflict((c) => c.column('dedupe_key').doNothing())
          .executeTakeFirst();
        added += Number(res.numInsertedOrUpdatedRows ?? 0);
      }
      return added;
    };
    return trx ? insert(trx) : this.db.transaction().execute(insert);
  }

  /** One pass over every channel: claim what is due, send within the rate limit, record. */
  async tick(): Promise<void> {
    for (const channel of this.channels.values()) await this.passChannel(channel);
    await this.refreshGauges();
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop();
  }

  /**
   * The channels of a reloaded notify.yaml. Pending items of a channel no longer configured stay
   * pending (counted in yizhan_outbox_pending) until a file names the channel again.
   */
  setChannels(channels: readonly Channel[]): void {
    this.channels.clear();
    for (const c of channels) this.channels.set(c.name, c);
  }

  /**
   * New items were committed (the alert repository's transaction, after it ends): claim them now
   * rather than at the next poll, so a fault reaches the robot in the time of one write.
   */
  nudge(): void {
    if (this.wake) this.wake();
    else this.nudged = true;
  }

  /** Stop after the pass under way (a send in flight finishes and is recorded). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  private async loop(): Promise<void> {
    await this.releaseOrphans();
    while (!this.stopping) {
      try {
        await this.tick();
      } catch (e) {
        this.o.log?.error({ err: e }, '通知发件箱处理失败，稍后重试 / outbox pass failed, retrying');
      }
      if (this.stopping) break;
      if (this.nudged) {
        this.nudged = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          this.wake = undefined;
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(done, this.o.pollMs);
        this.wake = done;
      });
    }
  }

  /**
   * On SQLite this process is the store's only user (PostgreSQL is for more than one), so a row
   * still `sending` at start was claimed by this server before it died: due again now rather than
   * after `claimMs`. The at-least-once window is unchanged: such a row may have reached the vendor.
   */
  private async releaseOrphans(): Promise<void> {
    if (this.o.store.engine !== 'sqlite') return;
    try {
      await this.db
        .updateTable('outbox')
        .set({ state: 'pending', claimed_by: null, claimed_until: null })
        .where('state', '=', 'sending')
        .execute();
    } catch (e) {
      this.o.log?.error({ err: e }, '发件箱未能释放上次的认领，到期后再发 / outbox claims of the last run not released; sent once they expire');
    }
  }

  /** Batch after batch while there are due items and the rate limit lets them go (bounded per pass). */
  private async passChannel(channel: Channel): Promise<void> {
    for (let round = 0; round < MAX_BATCHES_PER_PASS && !this.stopping; round++) {
      const rows = await this.claim(channel.name);
      if (!rows.length) return;
      const all = await this.sendBatch(channel, rows);
      if (!all || rows.length < this.o.batchSize) return;
    }
  }

  /** Send a claimed batch within the rate limit; true when all of it went. */
  private async sendBatch(channel: Channel, rows: Row[]): Promise<boolean> {
    const bucket = this.bucket(channel.name);
    const groups = groupRows(rows, this.o.merge !== undefined);
    let i = 0;
    for (; i < groups.length && !this.stopping; i++) {
      if (!bucket.take(this.o.now())) break;
      await this.deliver(channel, groups[i]!);
    }
    // Beyond the rate limit (or stopping): back to pending as they were, for a later pass.
    const rest = groups.slice(i).flat();
    if (rest.length) await this.release(rest.map((r) => r.id));
    return rest.length === 0;
  }

  private bucket(name: string): TokenBucket {
    let b = this.buckets.get(name);
    if (!b) this.buckets.set(name, (b = new TokenBucket(this.o.ratePerMinute, this.o.now())));
    return b;
  }

  /** Claim due items, and `sending` ones whose claim expired (their worker died). */
  private async claim(channel: string): Promise<Row[]> {
    const now = this.o.now();
    const lock = this.o.store.engine === 'postgres' ? sql`for update skip locked` : sql``;
    const res = await sql<Row>`
      update outbox set state = 'sending', claimed_by = ${this.o.workerId}, claimed_until = ${now + this.o.claimMs}
      where id in (
        select id from outbox
        where channel = ${channel}
          and ((state = 'pending' and next_attempt_at <= ${now}) or (state = 'sending' and claimed_until <= ${now}))
        order by next_attempt_at, id
        limit ${this.o.batchSize}
        ${lock}
      )
      returning *`.execute(this.db);
    // RETURNING gives no order; send the oldest first.
    return res.rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.id - b.id);
  }

  private async release(ids: number[]): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({ state: 'pending', claimed_by: null, claimed_until: null })
      .where('id', 'in', ids)
      .where('claimed_by', '=', this.o.workerId)
      .execute();
  }

  private async deliver(channel: Channel, rows: Row[]): Promise<void> {
    const started = this.o.now();
    let message: OutboundMessage;
    try {
      const messages = rows.map((r) => JSON.parse(r.payload_json) as OutboundMessage);
      message = this.o.merge && rows.length > 1 ? this.o.merge(messages) : messages[0]!;
    } catch (e) {
      // A caller's merge that throws is retried (and ends dead, logged); it must not stall the pass.
      const detail = e instanceof Error ? e.message : String(e);
      await this.record(
        channel.name,
        rows,
        { ok: false, retryable: true, code: 'prepare_failed', detail },
        started,
        0,
      );
      return;
    }
    const t0 = performance.now();
    const result = await sendSafely(channel, message, started);
    const duration = Math.round(performance.now() - t0);
    await this.record(channel.name, rows, result, started, duration);
  }

  /** The attempt and each item's next state, in one transaction; only rows this worker still holds. */
  private async record(
    channel: string,
    rows: Row[],
    r: SendResult,
    at: number,
    durationMs: number,
  ): Promise<void> {
    const code = r.code ?? (r.ok ? 'ok' : 'error');
    const detail = r.detail.slice(0, 1000);
    let dead = 0;
    let refused = 0;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('outbox_attempts')
        .values(
          rows.map((row) => ({
            outbox_id: row.id,
            at,
            ok: r.ok ? 1 : 0,
            code,
            detail,
            duration_ms: durationMs,
          })),
        )
        .execute();
      for (const row of rows) {
        const next = this.nextState(row, r, at);
        if (next.state === 'dead') dead++;
        if (next.state === 'failed') refused++;
        await trx
          .updateTable('outbox')
          .set({ ...next, attempts: row.attempts + 1, claimed_by: null, claimed_until: null })
          .where('id', '=', row.id)
          .where('claimed_by', '=', this.o.workerId)
          .execute();
      }
    });
    if (r.ok) this.m.sent.inc({ channel }, rows.length);
    else this.m.failed.inc({ channel, code }, rows.length);
    if (dead) this.m.dead.inc({ channel, reason: 'expired' }, dead);
    if (refused) this.m.dead.inc({ channel, reason: 'refused' }, refused);
    if (dead || refused) {
      this.o.log?.error(
        { channel, code, detail, items: rows.map((row) => row.dedupe_key) },
        '通知发送失败且不再重试 / notification given up',
      );
    }
  }

  private nextState(row: Row, r: SendResult, now: number): Partial<Row> {
    if (r.ok) return { state: 'sent', sent_at: now, last_error: null };
    const last_error = `${r.code ?? 'error'}: ${r.detail}`.slice(0, 1000);
    if (!r.retryable) return { state: 'failed', last_error };
    const wait = this.retryWait(row.attempts, r.retryAfterMs);
    if (now + wait - row.created_at > this.o.maxAgeMs) return { state: 'dead', last_error };
    return { state: 'pending', next_attempt_at: now + wait, last_error };
  }

  /** The shared backoff's delay after `attempts` earlier failures, or the channel's asked wait. */
  private retryWait(attempts: number, retryAfterMs: number | undefined): number {
    const b = new Backoff(this.o.backoff, this.o.random);
    // Backoff counts attempts itself; replay the earlier ones (bounded: the delay caps long before).
    for (let i = 0; i < Math.min(attempts, 40); i++) b.next();
    const decision =
      retryAfterMs === undefined
        ? undefined
        : { retriable: true, reason: 'throttled' as const, split: false, retryAfterMs };
    return retryDelayMs(decision, b);
  }

  private async refreshGauges(): Promise<void> {
    const rows = await this.db
      .selectFrom('outbox')
      .select([
        'channel',
        (eb) => eb.fn.countAll<number>().as('n'),
        (eb) => eb.fn.min('created_at').as('oldest'),
      ])
      .where('state', 'in', ['pending', 'sending'])
      .groupBy('channel')
      .execute();
    this.m.pending.reset();
    let oldest = Infinity;
    for (const r of rows) {
      this.m.pending.set({ channel: r.channel }, Number(r.n));
      oldest = Math.min(oldest, Number(r.oldest));
    }
    this.m.oldest.set(Number.isFinite(oldest) ? Math.max(0, (this.o.now() - oldest) / 1000) : 0);
  }

  /** An item and its attempts by dedupe key (for operators and tests). */
  async item(
    dedupeKey: string,
  ): Promise<
    (Row & { tries: { at: number; ok: number; code: string | null; detail: string }[] }) | undefined
  > {
    const row = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('dedupe_key', '=', dedupeKey)
      .executeTakeFirst();
    if (!row) return undefined;
    const tries = await this.db
      .selectFrom('outbox_attempts')
      .select(['at', 'ok', 'code', 'detail'])
      .where('outbox_id', '=', row.id)
      .orderBy('id')
      .execute();
    return { ...row, tries };
  }
}
