/**
 * One batch of lines to InfluxDB: the write request, and what its answer means (the decision is
 * common/src/retry.ts's, for every retry loop of the tree).
 *
 * | InfluxDB answers                                     | outcome                                         |
 * |------------------------------------------------------|-------------------------------------------------|
 * | 2xx                                                  | `written(lines)`                                |
 * | 400/413/422 (parse error, field type conflict,       | the batch is split in halves until the bad lines |
 * | partial write, beyond retention, max series):        | are alone; good lines land, each bad line goes   |
 * | the decision says `split`                            | to `refused(line, message)`                      |
 * | anything else (network, timeout, 5xx, 429, 401/403/404) | `down(decision, ...)`; the lines are handed back |
 * |                                                      | (a retry may help, or an operator's fix)         |
 *
 * Requests go through the client library's transport, so the 1.x rewrite and auth apply.
 */
import { HttpError, type SendOptions, type Transport } from '@influxdata/influxdb-client';
import type { FastifyBaseLogger } from 'fastify';
import { retryDecision, type RetryDecision } from '@yizhan/common/retry';
import type { Metrics } from '../metrics.js';
import { LogThrottle } from '@yizhan/common/log-throttle';
import { lineTime } from './points.js';

/** What the writer does with each outcome. */
export interface DeliveryHooks {
  /** `times[i]`: the timestamp at the end of `lines[i]` (lineTime), NaN when there is none. */
  written(lines: readonly string[], times: Float64Array): void;
  /** InfluxDB could not take the batch for a reason a retry (or an operator) may fix. */
  down(decision: RetryDecision, message: string, lines: number): void;
  /** InfluxDB refused this line for its content; a retry cannot help. */
  refused(line: string, message: string): void;
}

/** A write request slower than this (s) is logged with the concurrency it met. */
const SLOW_WRITE_S = 1;

export class LineDelivery {
  private readonly path: string;
  private readonly sendOptions: SendOptions = {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    gzipThreshold: 1024 * 1024,
  };
  /** Write requests awaiting an answer (live and replay). */
  private posting = 0;
  private readonly logLimit = new LogThrottle();

  constructor(
    private readonly transport: Transport,
    org: string,
    bucket: string,
    private readonly metrics: Metrics,
    private readonly log: FastifyBaseLogger,
    private readonly hooks: DeliveryHooks,
  ) {
    this.path = `/api/v2/write?org=${encodeURIComponent(org)}&bucket=${encodeURIComponent(bucket)}&precision=ms`;
  }

  /**
   * Write lines; split on line errors. Resolves with the lines that could not be delivered because
   * InfluxDB is down (empty when all were written or refused one by one).
   */
  async deliver(lines: string[]): Promise<string[]> {
    let times: Float64Array;
    try {
      times = await this.post(lines);
    } catch (e) {
      const decision = retryDecision(e);
      const message = errorText(e);
      // The label says whether the lines are kept to be sent again (all but split batches).
      this.metrics.influxWriteErrors.inc({ retriable: String(!decision.split) });
      if (!decision.split) {
        this.hooks.down(decision, message, lines.length);
        return lines;
      }
      if (lines.length === 1) {
        this.hooks.refused(lines[0] ?? '', message);
        return [];
      }
      const mid = lines.length >> 1;
      const first = await this.deliver(lines.slice(0, mid));
      if (first.length) return [...first, ...lines.slice(mid)];
      return this.deliver(lines.slice(mid));
    }
    this.hooks.written(lines, times);
    return [];
  }

  /** Resolves with the lines' times (read from the request body: flat, so no line is copied). */
  private post(lines: string[]): Promise<Float64Array> {
    const end = this.metrics.influxWriteDuration.startTimer();
    const concurrent = ++this.posting;
    this.metrics.influxWritesInFlight.set(concurrent);
    const done = (outcome: 'ok' | 'error') => {
      const s = end({ outcome });
      this.metrics.influxWritesInFlight.set(--this.posting);
      // A slow write holds its lines' latency: log it with the concurrency it met (rate-limited).
      if (s >= SLOW_WRITE_S && this.logLimit.pass('slow_write') !== undefined)
        this.log.warn(
          { ms: Math.round(s * 1000), lines: lines.length, concurrent, outcome },
          'slow influx write',
        );
    };
    const body = lines.join('\n');
    // Read now: the times (8 bytes a line) wait for the answer, the body need not.
    const times = lineTimes(lines, body);
    return new Promise((resolve, reject) => {
      let status: number | undefined;
      let retryAfter: string | undefined;
      this.transport.send(this.path, body, this.sendOptions, {
        responseStarted: (headers, statusCode) => {
          status = statusCode;
          const h = headers['retry-after'];
          retryAfter = Array.isArray(h) ? h[0] : h;
        },
        error: (e) => {
          done('error');
          reject(e);
        },
        complete: () => {
          done('ok');
          if (status === undefined || (status >= 200 && status < 300)) resolve(times);
          else reject(new HttpError(status, `unexpected HTTP ${status} to a write`, undefined, retryAfter));
        },
      });
    });
  }
}

/**
 * The timestamp of each line, as `lineTime` gives it, read from `body` (the lines joined by `\n`)
 * where the line ends in ` <digits>`, so the (often concatenated) line strings are not flattened
 * one by one.
 */
export function lineTimes(lines: readonly string[], body: string): Float64Array {
  const out = new Float64Array(lines.length);
  let end = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    end += line.length + 1;
    let v = 0;
    let scale = 1;
    let j = end - 1;
    for (; j > end - line.length - 1 && scale <= 1e15; j--) {
      const c = body.charCodeAt(j);
      if (c < 48 || c > 57) break;
      v += (c - 48) * scale;
      scale *= 10;
    }
    out[i] =
      scale > 1 && scale <= 1e15 && body.charCodeAt(j) === 32 && j > end - line.length - 1
        ? v
        : lineTime(line);
  }
  return out;
}

function errorText(e: unknown): string {
  if (e instanceof HttpError) return `HTTP ${e.statusCode}: ${(e.body ?? e.message).slice(0, 500)}`;
  return e instanceof Error ? e.message : String(e);
}
