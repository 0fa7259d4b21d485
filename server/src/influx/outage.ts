/**
 * InfluxDB down: the writer's state while writes fail for a reason a retry may fix, and the probe
 * loop that ends it. While down, no batch goes out except one probe at a time, after a wait that
 * starts at `minRetryDelayMs` and doubles up to `maxRetryDelayMs` while probes fail (longer when
 * InfluxDB answered with a Retry-After, common/src/retry.ts); the first written batch (a probe or a request already under way) ends the outage.
 */
import type { FastifyBaseLogger } from 'fastify';
import { Backoff } from '@yizhan/common/backoff';
import { retryDelayMs, type RetryDecision } from '@yizhan/common/retry';
import type { Metrics } from '../metrics.js';

/** What the probe loop does through the writer. */
export interface OutageHooks {
  /** Requests sent before InfluxDB went down, to settle before probing (undefined: none). */
  inFlight(): Promise<unknown> | undefined;
  /** Send one batch: true written, false still failing, undefined nothing to send. */
  probe(): Promise<boolean | undefined>;
  /** The loop ended (InfluxDB up again, or stopped): send what waits. */
  ended(): void;
}

export class InfluxOutage {
  private isDown = false;
  private stopped = false;
  private readonly backoff: Backoff;
  /** What InfluxDB asked of the last failed write (Retry-After). */
  private lastFailure: RetryDecision | undefined;
  private pumping: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    delays: { minRetryDelayMs: number; maxRetryDelayMs: number },
    private readonly metrics: Metrics,
    private readonly log: FastifyBaseLogger,
    private readonly hooks: OutageHooks,
  ) {
    // No jitter: one writer per server, nothing to spread.
    this.backoff = new Backoff({
      initialMs: delays.minRetryDelayMs,
      maxMs: delays.maxRetryDelayMs,
      jitter: 0,
    });
  }

  /** True while the last write failed for a reason a retry may fix. */
  get down(): boolean {
    return this.isDown;
  }

  /** A write succeeded: InfluxDB is up (logged once per outage). */
  up(spoolBytes: number): void {
    if (!this.isDown) return;
    this.isDown = false;
    this.backoff.reset();
    this.lastFailure = undefined;
    this.metrics.influxUp.set(1);
    this.log.info({ spoolBytes }, 'influx writes succeed again');
  }

  /** A write failed for a reason a retry may fix: start probing (logged once per outage). */
  failed(decision: RetryDecision, message: string, lines: number, spoolDir: string | undefined): void {
    this.lastFailure = decision;
    const status = decision.status;
    if (!this.isDown) {
      this.isDown = true;
      this.metrics.influxUp.set(0);
      this.log.warn(
        { status, lines, err: message.slice(0, 300), spool: spoolDir ?? 'none' },
        spoolDir !== undefined
          ? 'influx write failed; lines wait in the spool until InfluxDB takes writes again'
          : 'influx write failed; holding lines in memory (no spool) until InfluxDB takes writes again',
      );
    }
    if (this.pumping || this.stopped) return;
    this.pumping = this.probeLoop().finally(() => {
      this.pumping = undefined;
    });
  }

  /** Stop probing; resolves when the probe under way (if any) is done. */
  stop(): Promise<void> | undefined {
    this.stopped = true;
    this.wake?.();
    return this.pumping;
  }

  private async probeLoop(): Promise<void> {
    while (!this.stopped && this.isDown) {
      const wait = retryDelayMs(this.lastFailure, this.backoff);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, wait);
        this.wake = done;
        function done(): void {
          clearTimeout(t);
          resolve();
        }
      });
      this.wake = undefined;
      // Requests sent before InfluxDB went down settle first (each rejected batch comes again).
      await this.hooks.inFlight();
      if (this.stopped) return;
      const written = await this.hooks.probe();
      if (written === undefined) {
        // Nothing to probe with: the next batch tells.
        this.isDown = false;
        this.metrics.influxUp.set(1);
        break;
      }
    }
    this.hooks.ended();
  }
}
