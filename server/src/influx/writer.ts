/**
 * Batching InfluxDB writer on a write-ahead spool (spool.ts): nothing lost silently, and nothing
 * acknowledged before it is durable.
 *
 * Every line goes into the spool first (appended to disk at the end of the event-loop turn, one
 * write for all lines of the turn, and fsynced by group commit; with no spool folder, memory only). `onDurable` tells the MQTT side which messages it may acknowledge
 * (see ingest/ack-gate.ts). Batches of `batchSize` lines (or what waits every `flushIntervalMs`)
 * go to InfluxDB, `maxInFlight` requests at a time, through the client library's transport (so
 * the 1.x rewrite and auth apply); the client's own WriteApi is not used: it keeps failed batches
 * in memory and drops the oldest past its limit. Batches come from the spool's memory while the
 * lines are there (the newest `maxBufferLines`) and from disk otherwise: a backlog while InfluxDB
 * is slow or down, and at start the lines a previous run did not deliver (a SIGKILL included).
 *
 * What each InfluxDB answer means (written, a line refused for its content, InfluxDB down) is
 * decided per batch in delivery.ts; a refused line is dropped as `rejected` and sampled to the
 * dead-letter log. A written batch is accepted (the spool's cursor moves); a batch InfluxDB could
 * not take is rejected and comes again, probed with backoff while InfluxDB is down (outage.ts).
 * Writing a line twice is harmless: a point with the same measurement, tags and timestamp
 * overwrites.
 * Every drop is counted in `yizhan_influx_points_dropped_total{reason}` and passed to `onDropped`.
 */
import type { Transport } from '@influxdata/influxdb-client';
import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics.js';
import type { DeadLetterSink } from '../ingest/deadletter.js';
import { LogThrottle } from '@yizhan/common/log-throttle';
import { Spool, type SpoolBatch, type SpoolSettings } from './spool.js';
import { LineDelivery } from './delivery.js';
import { InfluxOutage } from './outage.js';
import { lineTime } from './points.js';

export type DropReason =
  'rejected' | 'invalid' | 'buffer_full' | 'spool_full' | 'spool_error' | 'closed' | 'shutdown';

/** Where points go. The ingest pipeline only knows this interface. */
export interface PointSink {
  /** Queue lines of line protocol (server/src/influx/points.ts builds them). Never throws. */
  write(lines: readonly string[]): void;
  /** Send what is queued now. */
  flush(): Promise<void>;
  /** Flush and stop; what is still unsent stays in the spool (or is counted as dropped without one). */
  close(): Promise<void>;
}

/** What to wait for before acknowledging the input whose lines were written last. */
export interface AckTicket {
  /** Log offset the spool must have made durable. */
  offset: number;
  /** False: some of these lines could not be put in the spool; do not acknowledge. */
  ok: boolean;
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
  /** Lines held in memory; older ones are read back from the spool's disk (without one: dropped). */
  maxBufferLines: number;
  /** Concurrent write requests. */
  maxInFlight: number;
  /** First wait before retrying a down InfluxDB, ms (doubles up to maxRetryDelayMs). */
  minRetryDelayMs: number;
  maxRetryDelayMs: number;
  /** Spool folder, size bound and group commit; no `dir`: lines wait in memory only. */
  spool?: SpoolSettings;
  /** Samples of lines InfluxDB refused. */
  deadLetter?: DeadLetterSink;
  /** Called for every drop, with the lines when they are in memory (spool drops are on disk). */
  onDropped?: (count: number, reason: DropReason, lines?: readonly string[]) => void;
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
  private readonly spool: Spool;
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();
  private started = false;
  private closed = false;
  private stopped = false;
  private readonly outage: InfluxOutage;
  private readonly ticker: NodeJS.Timeout;
  private readonly logLimit = new LogThrottle();
  /** Lines the spool refused since the last ackTicket(). */
  private unlogged = 0;
  /** Lines the spool refused since the start. */
  private refused = 0;
  private readonly durableListeners: ((offset: number, ok: boolean) => void)[] = [];
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
    this.outage = new InfluxOutage(this.opts, metrics, log, {
      inFlight: () => (this.running.size > 0 ? Promise.all(this.running) : undefined),
      probe: () => this.probe(),
      ended: () => {
        this.gauges();
        this.kick(true);
      },
    });
    this.pointAge = metrics.influxPointAge.labels();
    this.enqueueAge = metrics.influxEnqueueAge.labels();
    this.delivery = new LineDelivery(transport, org, bucket, metrics, log, {
      written: (lines, times) => this.written(lines, times),
      down: (decision, message, lines) => this.outage.failed(decision, message, lines, this.spool.dir),
      refused: (line, message) => this.refuse(line, message),
    });
    const syncSeconds = metrics.influxSpoolSyncDuration.labels();
    this.spool = new Spool({
      ...this.opts.spool,
      maxMemoryRecords: this.opts.maxBufferLines,
      // One write() for all lines of an event-loop turn: the PUBACKs wait for the group commit
      // anyway, and a write per message was most of the spool's CPU (bench/ingest-cpu.ts).
      appendPerTurn: true,
      onAppendFailed: (lines, err) => {
        this.refused += lines.length;
        this.drop(lines.length, 'spool_error', err.message, lines);
      },
      onAppended: () => {
        if (this.spool.unread.memory >= this.opts.batchSize) this.kick(false);
      },
      onDurable: (offset, ok, syncMs) => {
        if (syncMs > 0) syncSeconds.observe(syncMs / 1000);
        for (const l of this.durableListeners) l(offset, ok);
      },
      onDropped: (n, why) =>
        this.drop(
          n,
          why === 'full' ? 'spool_full' : 'buffer_full',
          why === 'full' ? 'spool at its size bound' : 'no spool and InfluxDB down',
        ),
      onError: (op, err) => this.spoolError(op, err),
    });
    if (this.spool.tornBytes > 0)
      log.warn(
        { dir: this.spool.dir, bytes: this.spool.tornBytes },
        'influx spool: cut a torn last line (the process died while appending it)',
      );
    if (this.spool.imported > 0)
      log.info(
        { dir: this.spool.dir, lines: this.spool.imported },
        'influx spool: took over the lines of the previous spool format',
      );
    if (this.spool.bytes > 0)
      log.info({ dir: this.spool.dir, bytes: this.spool.bytes }, 'influx spool not empty; will deliver it');
    this.ticker = setInterval(() => this.kick(true), this.opts.flushIntervalMs);
    this.ticker.unref();
    this.gauges();
  }

  /** Begin writing (after the database setup): queued lines go out, a non-empty spool is delivered. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.metrics.influxUp.set(1);
    this.kick(true);
  }

  write(input: readonly string[]): void {
    let lines = input;
    if (!input.every(Boolean)) {
      lines = input.filter(Boolean);
      for (const l of input) if (!l) this.drop(1, 'invalid', 'empty line', [l]);
    }
    if (lines.length === 0) return;
    this.metrics.influxPointsReceived.inc(lines.length);
    // Upstream share of the latency (one sample per call: the points of one message share a time).
    const ts = lineTime(lines[0] ?? '');
    if (Number.isFinite(ts)) this.enqueueAge.observe(Math.max(0, Date.now() - ts) / 1000);
    if (this.closed) {
      this.refuseAll(lines.length);
      this.drop(lines.length, 'closed', 'writer closed', lines);
      return;
    }
    const added = this.spool.add(lines);
    if (!added.ok) {
      this.refuseAll(lines.length);
      this.drop(lines.length, 'spool_error', added.error.message, lines);
      return;
    }
    if (this.spool.dir !== undefined) this.metrics.influxPointsSpooled.inc(lines.length);
    if (this.spool.unread.memory >= this.opts.batchSize) this.kick(false);
  }

  /**
   * What the input handled since the last call waits for: everything added so far durable, and
   * `ok` false when some of its lines could not be put in the spool (do not acknowledge that input).
   */
  ackTicket(): AckTicket {
    const ok = this.unlogged === 0;
    this.unlogged = 0;
    return { offset: this.spool.end, ok };
  }

  /** Called after each group commit with the log offset now durable (`ok` false: the sync failed). */
  onDurable(listener: (offset: number, ok: boolean) => void): void {
    this.durableListeners.push(listener);
  }

  /** Log offset up to which lines are durable. */
  get durable(): number {
    return this.spool.durable;
  }

  /** Log offset after the lines added last. */
  get end(): number {
    return this.spool.end;
  }

  /** Lines the spool refused since the start (their input must not be acknowledged). */
  get refusedLines(): number {
    return this.refused;
  }

  private refuseAll(n: number): void {
    this.unlogged += n;
    this.refused += n;
  }

  async flush(): Promise<void> {
    this.spool.flush();
    while (this.started && !this.outage.down && (this.waiting() || this.running.size > 0)) {
      this.kick(true);
      if (this.running.size === 0) return;
      await Promise.race(this.running);
    }
  }

  /**
   * Flush (for at most `flushTimeoutMs`), then stop. With a spool folder, what was not delivered
   * stays on disk for the next start; without one it is counted as dropped (`shutdown`).
   */
  async close(flushTimeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, flushTimeoutMs)));
    await Promise.race([this.flush(), timeout]);
    this.stopped = true;
    const probing = this.outage.stop();
    // Requests already sent: wait for their answer within the same time.
    await Promise.race([Promise.all([...this.running, probing]), timeout]);
    clearTimeout(timer);
    if (this.spool.dir === undefined) {
      const left = this.spool.pendingInMemory();
      this.drop(left.length, 'shutdown', 'no spool configured', left);
    }
    this.spool.close();
    this.gauges();
  }

  /** Lines held in memory now (not yet written). */
  get memoryLines(): number {
    return this.spool.memoryRecords;
  }

  /** Spooled bytes not yet written. */
  get spoolBytes(): number {
    return this.spool.dir === undefined ? 0 : this.spool.bytes;
  }

  /** True while the last write failed for a reason a retry may fix. */
  get influxDown(): boolean {
    return this.outage.down;
  }

  /** Lines not yet in InfluxDB: waiting in the spool (memory or disk) or in a request under way. */
  get undelivered(): boolean {
    return this.waiting() || this.running.size > 0;
  }

  private waiting(): boolean {
    const u = this.spool.unread;
    return u.disk || u.memory > 0;
  }

  /** Send batches while there is room: full ones, or also a partial one when `partial`. */
  private kick(partial: boolean): void {
    this.gauges();
    while (this.started && !this.outage.down && !this.stopped && this.inFlight < this.opts.maxInFlight) {
      const u = this.spool.unread;
      if (!u.disk && (u.memory === 0 || (!partial && u.memory < this.opts.batchSize))) break;
      const backlog = u.disk || u.memory >= 2 * this.opts.batchSize;
      const batch = this.spool.batch(
        backlog ? Math.max(this.opts.batchSize, this.opts.maxBatchSize) : this.opts.batchSize,
      );
      if (!batch) break;
      this.send(batch);
    }
  }

  private send(batch: SpoolBatch): void {
    this.inFlight++;
    const run = this.delivery
      .deliver(batch.records)
      .then((pending) => this.settle(batch, pending.length === 0))
      .catch((e: unknown) => this.log.error({ err: String(e) }, 'influx writer bug'))
      .finally(() => {
        this.inFlight--;
        this.running.delete(run);
        this.kick(false);
      });
    this.running.add(run);
  }

  private settle(batch: SpoolBatch, written: boolean): void {
    if (written) {
      this.spool.accept(batch);
      if (batch.fromDisk) this.metrics.influxPointsReplayed.inc(batch.records.length);
    } else {
      this.spool.reject(batch);
    }
  }

  private written(lines: readonly string[], times: Float64Array): void {
    this.metrics.influxPointsWritten.inc(lines.length);
    const now = Date.now();
    const h = this.pointAge;
    for (const ts of times) if (Number.isFinite(ts)) h.observe(Math.max(0, now - ts) / 1000);
    this.outage.up(this.spoolBytes);
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
    this.drop(1, 'rejected', message, [line]);
  }

  /** One batch while InfluxDB is down (outage.ts): written or not; undefined when none waits. */
  private async probe(): Promise<boolean | undefined> {
    const batch = this.spool.batch(this.opts.batchSize);
    if (!batch) return undefined;
    const pending = await this.delivery.deliver(batch.records);
    this.settle(batch, pending.length === 0);
    this.gauges();
    return pending.length === 0;
  }

  private spoolError(op: string, err: Error): void {
    this.metrics.influxSpoolErrors.inc({ op });
    if (this.logLimit.pass(`spool_${op}`) !== undefined)
      this.log.error({ op, dir: this.spool?.dir, err: err.message }, 'influx spool I/O error');
  }

  private gauges(): void {
    this.metrics.influxQueueLines.set(this.memoryLines);
    this.metrics.influxSpoolBytes.set(this.spoolBytes);
  }

  private drop(count: number, reason: DropReason, why: string, lines?: readonly string[]): void {
    if (count === 0) return;
    this.metrics.influxPointsDropped.inc({ reason }, count);
    const suppressed = this.logLimit.pass(reason);
    if (suppressed !== undefined)
      this.log.error(
        { reason, lines: count, why: why.slice(0, 300), first: lines?.[0]?.slice(0, 200), suppressed },
        'influx points dropped',
      );
    try {
      this.opts.onDropped?.(count, reason, lines);
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'influx onDropped hook threw');
    }
  }
}
