/**
 * Batching writer on top of the client's WriteApi, with nothing lost silently.
 *
 * The client batches (batchSize / flushInterval), retries network errors and 429/5xx with backoff,
 * and keeps failed batches in an in-memory retry buffer that drops the oldest lines past
 * maxBufferLines. Every way a line can be given up is counted in
 * `yizhan_influx_points_dropped_total{reason}` and handed to `onDropped`, the seam where a durable
 * spool (a later issue) will take the lines instead of losing them.
 */
import {
  HttpError,
  InfluxDB,
  type CommunicationObserver,
  type Point,
  type SendOptions,
  type Transport,
  type WriteApi,
} from '@influxdata/influxdb-client';
import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics.js';
import { RateLimiter } from '../util/bounded.js';

export type DropReason =
  | 'rejected'
  | 'retries_exhausted'
  | 'expired'
  | 'retry_buffer_full'
  | 'shutdown'
  | 'closed'
  | 'invalid'
  | 'not_ready_buffer_full';

/** Where points go. The ingest pipeline only knows this interface. */
export interface PointSink {
  write(points: readonly Point[]): void;
  /** Send what is buffered now. */
  flush(): Promise<void>;
  /** Flush and stop; lines still unsent afterwards are counted as dropped ("shutdown"). */
  close(): Promise<void>;
}

export interface WriterOptions {
  /** Lines per write request. */
  batchSize: number;
  /** Longest time a line waits in the batch, ms. */
  flushIntervalMs: number;
  /** Largest retry buffer in lines; beyond it the oldest batches are dropped. */
  maxBufferLines: number;
  /** Retries after the first failed attempt. */
  maxRetries: number;
  /** Give up a batch this long after its first attempt, ms. */
  maxRetryTimeMs: number;
  /** First retry delay, ms (doubles, with jitter, up to 30 s). */
  minRetryDelayMs: number;
  /** Called with the lines of every drop: the seam for a durable spool. */
  onDropped?: (lines: readonly string[], reason: DropReason) => void;
}

export const DEFAULT_WRITER_OPTIONS: WriterOptions = {
  batchSize: 500,
  flushIntervalMs: 1000,
  maxBufferLines: 50_000,
  maxRetries: 5,
  maxRetryTimeMs: 180_000,
  minRetryDelayMs: 1000,
};

/** Times write requests for `yizhan_influx_write_duration_seconds`; all else passes through. */
class TimedTransport implements Transport {
  readonly chunkCombiner;
  constructor(
    private readonly inner: Transport,
    private readonly metrics: Metrics,
  ) {
    this.chunkCombiner = inner.chunkCombiner;
  }
  send(
    path: string,
    body: string,
    options: SendOptions,
    callbacks?: Partial<CommunicationObserver<Uint8Array>>,
  ): void {
    const end = this.metrics.influxWriteDuration.startTimer();
    this.inner.send(path, body, options, {
      ...callbacks,
      error: (e) => {
        end({ outcome: 'error' });
        callbacks?.error?.(e);
      },
      complete: () => {
        end({ outcome: 'ok' });
        callbacks?.complete?.();
      },
    });
  }
  request(
    path: string,
    body: unknown,
    options: SendOptions,
    rs?: Parameters<Transport['request']>[3],
  ): Promise<unknown> {
    return this.inner.request(path, body, options, rs);
  }
  iterate(path: string, body: unknown, options: SendOptions): AsyncIterableIterator<Uint8Array> {
    return this.inner.iterate(path, body, options);
  }
}

export class InfluxWriter implements PointSink {
  private readonly api: WriteApi;
  private readonly opts: WriterOptions;
  /** Batches the client holds for retry (same array objects it passes to the callbacks). */
  private readonly retrying = new Set<readonly string[]>();
  private retryLines = 0;
  private closing = false;
  /** Points held until start() (the database may not exist yet); bounded by maxBufferLines. */
  private held: Point[] | undefined = [];
  /** One drop log line per reason per 10 s; the counter counts every line. */
  private readonly dropLog = new RateLimiter(10_000);

  constructor(
    transport: Transport,
    org: string,
    bucket: string,
    private readonly metrics: Metrics,
    private readonly log: FastifyBaseLogger,
    opts: Partial<WriterOptions> = {},
  ) {
    this.opts = { ...DEFAULT_WRITER_OPTIONS, ...opts };
    const o = this.opts;
    // url is unused when a transport is given, but the client requires one.
    const client = new InfluxDB({ url: 'http://unused', transport: new TimedTransport(transport, metrics) });
    this.api = client.getWriteApi(org, bucket, 'ms', {
      batchSize: o.batchSize,
      flushInterval: o.flushIntervalMs,
      maxBufferLines: o.maxBufferLines,
      maxRetries: o.maxRetries,
      maxRetryTime: o.maxRetryTimeMs,
      minRetryDelay: o.minRetryDelayMs,
      maxRetryDelay: 30_000,
      exponentialBase: 2,
      gzipThreshold: 64 * 1024,
      writeSuccess: (lines) => {
        this.forget(lines);
        metrics.influxPointsWritten.inc(lines.length);
      },
      writeFailed: (error, lines, attempt, expires) => {
        this.onFailed(error, lines, attempt, expires);
      },
      writeRetrySkipped: (entry) => {
        this.forget(entry.lines);
        this.drop(entry.lines, 'retry_buffer_full', 'retry buffer over maxBufferLines');
      },
    });
    metrics.influxRetryBufferLines.set(0);
  }

  /** Begin writing (after the database setup); points held until now are sent. */
  start(): void {
    const held = this.held;
    this.held = undefined;
    if (held?.length) this.write(held);
  }

  write(points: readonly Point[]): void {
    if (this.closing) {
      this.drop(
        points.map((p) => String(p)),
        'closed',
        'writer closed',
      );
      return;
    }
    if (this.held) {
      this.held.push(...points);
      const over = this.held.length - this.opts.maxBufferLines;
      if (over > 0)
        this.drop(
          this.held.splice(0, over).map((p) => String(p)),
          'not_ready_buffer_full',
          'InfluxDB not set up yet',
        );
      return;
    }
    for (const p of points) {
      try {
        this.api.writePoint(p);
      } catch (e) {
        this.drop([String(p)], 'invalid', (e as Error).message);
      }
    }
  }

  async flush(): Promise<void> {
    try {
      await this.api.flush();
    } catch {
      /* already counted and logged in writeFailed */
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      await this.api.close();
    } catch {
      /* counted in writeFailed; what is left is counted below */
    }
    this.api.dispose();
    if (this.held?.length)
      this.drop(
        this.held.splice(0).map((p) => String(p)),
        'shutdown',
        'InfluxDB was never set up',
      );
    for (const lines of [...this.retrying]) {
      this.forget(lines);
      this.drop(lines, 'shutdown', 'unsent at shutdown');
    }
  }

  /** Lines in the retry buffer now. */
  get pendingRetryLines(): number {
    return this.retryLines;
  }

  private onFailed(error: Error, lines: string[], attempt: number, expires: number): void {
    this.forget(lines);
    const status = error instanceof HttpError ? error.statusCode : undefined;
    const retriableError = status === undefined || status >= 429;
    const expired = expires <= Date.now() || error.message === 'Max retry time exceeded.';
    const willRetry = !this.closing && !expired && retriableError && attempt <= this.opts.maxRetries;
    this.metrics.influxWriteErrors.inc({ retriable: String(retriableError) });
    const ctx = { attempt, lines: lines.length, status, err: error.message.slice(0, 300) };
    if (willRetry) {
      this.retrying.add(lines);
      this.retryLines += lines.length;
      this.metrics.influxRetryBufferLines.set(this.retryLines);
      this.log.warn(ctx, 'influx write failed; the batch will be retried');
      return;
    }
    const reason: DropReason = expired
      ? 'expired'
      : !retriableError
        ? 'rejected'
        : this.closing
          ? 'shutdown'
          : 'retries_exhausted';
    this.drop(lines, reason, error.message);
  }

  private forget(lines: readonly string[]): void {
    if (this.retrying.delete(lines)) {
      this.retryLines -= lines.length;
      this.metrics.influxRetryBufferLines.set(this.retryLines);
    }
  }

  private drop(lines: readonly string[], reason: DropReason, why: string): void {
    if (lines.length === 0) return;
    this.metrics.influxPointsDropped.inc({ reason }, lines.length);
    const suppressed = this.dropLog.allow(reason);
    if (suppressed !== undefined)
      this.log.error(
        {
          reason,
          lines: lines.length,
          why: why.slice(0, 300),
          first: lines[0]?.slice(0, 200),
          suppressedLogs: suppressed,
        },
        'influx points dropped',
      );
    try {
      this.opts.onDropped?.(lines, reason);
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'influx onDropped hook threw');
    }
  }
}
