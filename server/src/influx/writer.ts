/**
 * Batching InfluxDB writer with bounded memory, a durable on-disk spool and nothing lost silently.
 *
 * Lines wait in a memory queue (at most `maxBufferLines`, in-flight batches included) and go out
 * in batches of `batchSize` (or every `flushIntervalMs`), `maxInFlight` requests at a time, through
 * the client library's transport (so the 1.x rewrite and auth apply). The client's own WriteApi is
 * not used: it keeps failed batches in memory and drops the oldest past its limit.
 *
 * What each InfluxDB answer means (written, a line refused for its content, InfluxDB down) is
 * decided per batch in delivery.ts; a refused line is dropped as `rejected` and sampled to the
 * dead-letter log; while InfluxDB is down the batch and the queue go to the spool, new lines too,
 * until a replay succeeds.
 *
 * The memory queue over its bound spills its oldest lines to the spool (backpressure: when InfluxDB
 * is slower than the input, the disk takes the difference). The spool is replayed in order, one
 * batch at a time, with backoff while InfluxDB is down, and at start (a restart with a non-empty
 * spool). Re-writing a line is harmless: a point with the same series and timestamp overwrites.
 * Without a spool (no data dir), lines wait in memory while InfluxDB is down and the oldest are
 * dropped past maxBufferLines as `buffer_full`. Every drop is counted in
 * `yizhan_influx_points_dropped_total{reason}` and passed to `onDropped`.
 */
import type { Transport } from '@influxdata/influxdb-client';
import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics.js';
import type { DeadLetterSink } from '../ingest/deadletter.js';
import { RateLimiter } from '../util/bounded.js';
import { Spool, type SpoolOptions } from './spool.js';
import { LineDelivery } from './delivery.js';
import { LineQueue } from './line-queue.js';
import { lineTime } from './points.js';

export type DropReason =
  'rejected' | 'invalid' | 'buffer_full' | 'spool_full' | 'spool_error' | 'closed' | 'shutdown';

/** Where points go. The ingest pipeline only knows this interface. */
export interface PointSink {
  /** Queue lines of line protocol (server/src/influx/points.ts builds them). Never throws. */
  write(lines: readonly string[]): void;
  /** Send what is queued now. */
  flush(): Promise<void>;
  /** Flush and stop; what is still unsent goes to the spool (or is counted as dropped without one). */
  close(): Promise<void>;
}

export interface WriterOptions {
  /**
   * Lines per write request. 1000 rather than InfluxDB's throughput advice of 5000: at 30,000
   * readings/s it halves the time a reading waits (batch fill + request), see docs/benchmarks.md.
   */
  batchSize: number;
  /**
   * Largest write request, lines. When lines pile up while every request slot is busy (InfluxDB
   * slower than the input for a moment), the next request takes up to this many at once: fewer,
   * larger writes cost InfluxDB less per line, so a backlog drains instead of growing.
   */
  maxBatchSize: number;
  /** Longest time a line waits in the queue before a partial batch is sent, ms. */
  flushIntervalMs: number;
  /** Lines held in memory (queued + in flight); beyond, the oldest spill to the spool. */
  maxBufferLines: number;
  /** Concurrent write requests of live data. */
  maxInFlight: number;
  /** First wait before retrying a down InfluxDB, ms (doubles up to maxRetryDelayMs). */
  minRetryDelayMs: number;
  maxRetryDelayMs: number;
  /** Durable spool (folder, size bound); none: lines wait in memory only. */
  spool?: SpoolOptions;
  /** Samples of lines InfluxDB refused. */
  deadLetter?: DeadLetterSink;
  /** Called with the lines of every drop. */
  onDropped?: (lines: readonly string[], reason: DropReason) => void;
}

export const DEFAULT_WRITER_OPTIONS: WriterOptions = {
  batchSize: 1000,
  maxBatchSize: 5000,
  flushIntervalMs: 200,
  maxBufferLines: 50_000,
  maxInFlight: 4,
  minRetryDelayMs: 1000,
  maxRetryDelayMs: 5_000,
};

export class InfluxWriter implements PointSink {
  private readonly opts: WriterOptions;
  private readonly delivery: LineDelivery;
  private readonly spool: Spool | undefined;
  private readonly queue = new LineQueue();
  private inFlight = 0;
  private inFlightLines = 0;
  private readonly running = new Set<Promise<void>>();
  private started = false;
  private closed = false;
  private stopped = false;
  /** InfluxDB failed the last write for a reason a retry may fix. */
  private down = false;
  private backoff: number;
  private pumping: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly ticker: NodeJS.Timeout;
  private readonly logLimit = new RateLimiter(10_000);
  /** Histogram observers bound once: a plain observe() allocates about 180 bytes per call. */
  private readonly pointAge: { observe(v: number): void };
  private readonly enqueueAge: { observe(v: number): void };

  constructor(
    transport: Transport,
    org: string,
    bucket: string,
    private readonly metrics: Metrics,
    private readonly log: FastifyBaseLogger,
    opts: Partial<WriterOptions> = {},
  ) {
    this.opts = { ...DEFAULT_WRITER_OPTIONS, ...opts };
    this.backoff = this.opts.minRetryDelayMs;
    this.pointAge = metrics.influxPointAge.labels();
    this.enqueueAge = metrics.influxEnqueueAge.labels();
    this.delivery = new LineDelivery(transport, org, bucket, metrics, log, {
      written: (lines, times) => this.written(lines, times),
      down: (status, message, lines) => this.markDown(status, message, lines),
      refused: (line, message) => this.refuse(line, message),
    });
    this.spool = this.opts.spool ? new Spool(this.opts.spool) : undefined;
    if (this.spool && !this.spool.empty)
      log.info({ dir: this.spool.dir, bytes: this.spool.bytes }, 'influx spool not empty; will replay');
    this.ticker = setInterval(() => this.kick(true), this.opts.flushIntervalMs);
    this.ticker.unref();
    this.gauges();
  }

  /** Begin writing (after the database setup): queued lines go out, a non-empty spool is replayed. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.metrics.influxUp.set(1);
    this.kick(false);
    this.pump();
  }

  write(input: readonly string[]): void {
    let lines = input;
    if (!input.every(Boolean)) {
      lines = input.filter(Boolean);
      for (const l of input) if (!l) this.drop([l], 'invalid', 'empty line');
    }
    if (lines.length === 0) return;
    this.metrics.influxPointsReceived.inc(lines.length);
    // Upstream share of the latency (one sample per call: the points of one message share a time).
    const ts = lineTime(lines[0] ?? '');
    if (Number.isFinite(ts)) this.enqueueAge.observe(Math.max(0, Date.now() - ts) / 1000);
    if (this.closed) {
      this.toSpool([...lines], 'closed');
      return;
    }
    this.queue.push(lines);
    if (this.down && this.spool) this.toSpool(this.queue.take(), 'buffer_full');
    const over = this.queue.length + this.inFlightLines - this.opts.maxBufferLines;
    if (over > 0) this.toSpool(this.queue.take(over), 'buffer_full');
    if (this.queue.length >= this.opts.batchSize) this.kick(false);
  }

  async flush(): Promise<void> {
    while (this.started && !this.down && (this.queue.length > 0 || this.running.size > 0)) {
      this.kick(true);
      await Promise.race(this.running);
    }
  }

  /**
   * Flush (for at most `flushTimeoutMs`), then stop: lines still in memory go to the spool, so a
   * slow or dead InfluxDB cannot make a shutdown lose them (they are replayed at the next start).
   */
  async close(flushTimeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, flushTimeoutMs)));
    await Promise.race([this.flush(), timeout]);
    this.stopped = true;
    this.toSpool(this.queue.take(), 'shutdown');
    this.wake?.();
    // Requests already sent: wait for their answer (a failure spools them) within the same time.
    await Promise.race([Promise.all([...this.running, this.pumping]), timeout]);
    clearTimeout(timer);
    this.toSpool(this.queue.take(), 'shutdown');
    this.spool?.close();
    this.gauges();
  }

  /** Lines held in memory now (queued and in flight). */
  get memoryLines(): number {
    return this.queue.length + this.inFlightLines;
  }

  /** Spooled bytes not yet replayed. */
  get spoolBytes(): number {
    return this.spool?.bytes ?? 0;
  }

  /** True while the last write failed for a reason a retry may fix. */
  get influxDown(): boolean {
    return this.down;
  }

  /** Send batches while there is room: full ones, or also a partial one when `partial`. */
  private kick(partial: boolean): void {
    this.gauges();
    while (
      this.started &&
      !this.down &&
      !this.stopped &&
      this.inFlight < this.opts.maxInFlight &&
      this.queue.length > 0 &&
      (partial || this.queue.length >= this.opts.batchSize)
    ) {
      const backlog = this.queue.length >= 2 * this.opts.batchSize;
      const batch = this.queue.take(
        backlog ? Math.max(this.opts.batchSize, this.opts.maxBatchSize) : this.opts.batchSize,
      );
      this.inFlight++;
      this.inFlightLines += batch.length;
      const run = this.delivery
        .deliver(batch)
        .then((pending) => {
          if (pending.length === 0) return;
          if (this.spool) this.toSpool(pending, 'buffer_full');
          else this.queue.unshift(pending);
        })
        .catch((e: unknown) => this.log.error({ err: String(e) }, 'influx writer bug'))
        .finally(() => {
          this.inFlight--;
          this.inFlightLines -= batch.length;
          this.running.delete(run);
          this.kick(false);
        });
      this.running.add(run);
    }
  }

  private written(lines: readonly string[], times: Float64Array): void {
    this.metrics.influxPointsWritten.inc(lines.length);
    const now = Date.now();
    const h = this.pointAge;
    for (const ts of times) if (Number.isFinite(ts)) h.observe(Math.max(0, now - ts) / 1000);
    if (this.down) {
      this.down = false;
      this.backoff = this.opts.minRetryDelayMs;
      this.metrics.influxUp.set(1);
      this.log.info({ spoolBytes: this.spoolBytes }, 'influx writes succeed again');
      this.kick(false);
    }
  }

  private markDown(status: number | undefined, message: string, lines: number): void {
    if (!this.down) {
      this.down = true;
      this.metrics.influxUp.set(0);
      this.log.warn(
        { status, lines, err: message.slice(0, 300), spool: this.spool ? this.spool.dir : 'none' },
        this.spool
          ? 'influx write failed; spooling to disk until InfluxDB takes writes again'
          : 'influx write failed; holding lines in memory (no spool) until InfluxDB takes writes again',
      );
      if (this.spool) this.toSpool(this.queue.take(), 'buffer_full');
    }
    this.pump();
  }

  /** One line InfluxDB refused for its content: dead-letter sample, counted drop. */
  private refuse(line: string, message: string): void {
    this.opts.deadLetter?.add({
      source: 'influx',
      reason: 'influx_refused',
      topic: line.slice(0, line.search(/[ ,]/)),
      detail: message,
      payload: line,
    });
    this.drop([line], 'rejected', message);
  }

  /** Replay the spool (and, while down without a spool, probe with queued lines), with backoff. */
  private pump(): void {
    if (this.pumping || this.stopped || !this.started) return;
    this.pumping = this.pumpLoop().finally(() => {
      this.pumping = undefined;
      this.gauges();
    });
  }

  private async pumpLoop(): Promise<void> {
    while (!this.stopped) {
      if (this.down) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, this.backoff);
          this.wake = done;
          function done(): void {
            clearTimeout(t);
            resolve();
          }
        });
        this.wake = undefined;
        if (this.stopped) return;
      }
      // Replay up to maxInFlight batches at once (faster than the input, or the backlog never ends);
      // the replay position moves only when all of them are written.
      const batch = this.spool?.read(this.opts.batchSize * (this.down ? 1 : this.opts.maxInFlight));
      let failed: boolean;
      if (batch) {
        const chunks: string[][] = [];
        for (let i = 0; i < batch.lines.length; i += this.opts.batchSize)
          chunks.push(batch.lines.slice(i, i + this.opts.batchSize));
        const pending = await Promise.all(chunks.map((c) => this.delivery.deliver(c)));
        failed = pending.some((p) => p.length > 0);
        if (!failed && this.spool) {
          this.spool.commit(batch);
          this.metrics.influxPointsReplayed.inc(batch.lines.length);
        }
      } else if (this.down && this.queue.length > 0) {
        const lines = this.queue.take(this.opts.batchSize);
        const pending = await this.delivery.deliver(lines);
        failed = pending.length > 0;
        if (failed) this.queue.unshift(pending);
      } else if (this.down) {
        // Nothing to probe with: the next live batch tells.
        this.down = false;
        this.metrics.influxUp.set(1);
        return;
      } else {
        return;
      }
      if (failed) this.backoff = Math.min(this.opts.maxRetryDelayMs, this.backoff * 2);
      this.gauges();
    }
  }

  /** Lines that cannot stay in memory: to the spool, or dropped with `reasonWithout`. */
  private toSpool(lines: string[], reasonWithout: DropReason): void {
    if (lines.length === 0) return;
    if (!this.spool) {
      if (reasonWithout === 'buffer_full' && this.down && !this.closed) {
        // Without a spool the newest wait in memory; the oldest beyond the bound are dropped.
        this.queue.unshift(lines);
        const over = this.queue.length - this.opts.maxBufferLines;
        if (over > 0) this.drop(this.queue.take(over), 'buffer_full', 'no spool and InfluxDB down');
        return;
      }
      this.drop(lines, reasonWithout, 'no spool configured');
      return;
    }
    let taken = 0;
    try {
      taken = this.spool.append(lines);
    } catch (e) {
      this.drop(lines, 'spool_error', (e as Error).message);
      return;
    }
    if (taken > 0) this.metrics.influxPointsSpooled.inc(taken);
    if (taken < lines.length) this.drop(lines.slice(taken), 'spool_full', 'spool at its size bound');
    this.gauges();
    this.pump();
  }

  private gauges(): void {
    this.metrics.influxQueueLines.set(this.memoryLines);
    this.metrics.influxSpoolBytes.set(this.spoolBytes);
  }

  private drop(lines: readonly string[], reason: DropReason, why: string): void {
    if (lines.length === 0) return;
    this.metrics.influxPointsDropped.inc({ reason }, lines.length);
    const suppressed = this.logLimit.allow(reason);
    if (suppressed !== undefined)
      this.log.error(
        { reason, lines: lines.length, why: why.slice(0, 300), first: lines[0]?.slice(0, 200), suppressed },
        'influx points dropped',
      );
    try {
      this.opts.onDropped?.(lines, reason);
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'influx onDropped hook threw');
    }
  }
}
