/**
 * Alert notifications to a webhook (YIZHAN_ALERT_WEBHOOK_URL): one POST of JSON per fire and per
 * resolve, Alertmanager-like:
 *
 * ```json
 * { "version": "1", "status": "firing", "receiver": "yizhan", "groupKey": "dispenser_broken/st-001",
 *   "alert": { "id": "…", "rule": "dispenser_broken", "labels": {…}, "annotations": {…}, "message": {…}, … } }
 * ```
 *
 * Every rule (`dispenser_broken`, `serial_link_down`; see rules/index.ts) has the same body:
 * `labels` {alertname, station, township, severity} to route on, `annotations` summary (zh-CN) and
 * summary_en, plus resolved/resolved_en once resolved; `evidence` holds the rule's own facts.
 *
 * Sent in order from a bounded queue by one worker; a failed POST that a retry may fix (network
 * error, timeout, 408, 425, 429, 5xx but 501/505: common/src/retry.ts decides) is retried with
 * doubling backoff (longer when the receiver sends Retry-After) up to maxAttempts, other answers
 * are given up at once.
 * What cannot be sent is counted in `yizhan_alert_webhook_dropped_total{reason}`.
 */
import type { FastifyBaseLogger } from 'fastify';
import { Backoff } from '@yizhan/common/backoff';
import { HttpStatusError, retryDecision, retryDelayMs } from '@yizhan/common/retry';
import type { Metrics } from '../metrics.js';
import type { Alert } from './types.js';
import { redact } from '../ingest/mqtt.js';

export interface WebhookOptions {
  url: string;
  /** Per-request timeout, ms. */
  timeoutMs: number;
  /** Attempts per notification, the first included. */
  maxAttempts: number;
  /** Wait before the first retry, ms; doubles up to maxBackoffMs. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Notifications waiting at most; a new one beyond is dropped (queue_full). */
  queueSize: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: Omit<WebhookOptions, 'url'> = {
  timeoutMs: 5000,
  maxAttempts: 6,
  minBackoffMs: 1000,
  maxBackoffMs: 60_000,
  queueSize: 1000,
};

export interface WebhookBody {
  version: '1';
  status: Alert['status'];
  receiver: 'yizhan';
  groupKey: string;
  alert: Alert & {
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
}

export function webhookBody(a: Alert): WebhookBody {
  return {
    version: '1',
    status: a.status,
    receiver: 'yizhan',
    groupKey: a.fingerprint,
    alert: {
      ...a,
      labels: { alertname: a.rule, station: a.stationId, township: a.township, severity: a.severity },
      annotations: {
        summary: a.message['zh-CN'],
        summary_en: a.message.en,
        ...(a.resolvedMessage
          ? { resolved: a.resolvedMessage['zh-CN'], resolved_en: a.resolvedMessage.en }
          : {}),
      },
    },
  };
}

export class WebhookNotifier {
  private readonly queue: WebhookBody[] = [];
  private readonly opts: WebhookOptions;
  private running = false;
  private readonly stopping = new AbortController();
  private idle: Promise<void> = Promise.resolve();

  constructor(
    opts: Partial<WebhookOptions> & { url: string },
    private readonly metrics: Metrics,
    private readonly log: FastifyBaseLogger,
  ) {
    this.opts = { ...DEFAULT_WEBHOOK_OPTIONS, ...opts };
    metrics.webhookQueue.set(0);
  }

  enqueue(alert: Alert): void {
    if (this.stopping.signal.aborted || this.queue.length >= this.opts.queueSize) {
      const reason = this.stopping.signal.aborted ? 'shutdown' : 'queue_full';
      this.metrics.webhookDropped.inc({ reason });
      this.log.error({ alert: alert.id, status: alert.status, reason }, 'alert webhook notification dropped');
      return;
    }
    this.queue.push(webhookBody(alert));
    this.metrics.webhookQueue.set(this.queue.length);
    if (!this.running) {
      this.running = true;
      this.idle = this.drain().finally(() => (this.running = false));
    }
  }

  /** Wait up to graceMs for the queue to empty, then stop; what is left is counted as dropped. */
  async close(graceMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.stopping.abort();
    await this.idle;
    if (this.queue.length) {
      this.metrics.webhookDropped.inc({ reason: 'shutdown' }, this.queue.length);
      this.log.error({ count: this.queue.length }, 'alert webhook notifications unsent at shutdown');
      this.queue.length = 0;
      this.metrics.webhookQueue.set(0);
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length && !this.stopping.signal.aborted) {
      const body = this.queue[0];
      if (!body) break;
      // Interrupted by close(): the notification stays queued and close() counts it as dropped.
      if (!(await this.deliver(body))) break;
      this.queue.shift();
      this.metrics.webhookQueue.set(this.queue.length);
    }
  }

  /** Send with retries. True when finished (delivered or given up), false when interrupted by close(). */
  private async deliver(body: WebhookBody): Promise<boolean> {
    // No jitter: one receiver, nothing to spread.
    const delays = new Backoff({
      initialMs: this.opts.minBackoffMs,
      maxMs: this.opts.maxBackoffMs,
      jitter: 0,
    });
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      try {
        await this.post(body);
        this.metrics.webhookSent.inc();
        this.log.info({ alert: body.alert.id, status: body.status, attempt }, 'alert webhook delivered');
        return true;
      } catch (e) {
        if (this.stopping.signal.aborted) return false;
        this.metrics.webhookFailed.inc();
        const decision = retryDecision(e);
        const retry = decision.retriable && attempt < this.opts.maxAttempts;
        const ctx = {
          url: redact(this.opts.url),
          alert: body.alert.id,
          status: body.status,
          attempt,
          err:
            decision.reason === 'timeout' && decision.status === undefined
              ? `timeout after ${this.opts.timeoutMs} ms`
              : (e as Error).message,
        };
        if (!retry) {
          this.metrics.webhookDropped.inc({ reason: 'gave_up' });
          this.log.error(ctx, 'alert webhook failed; notification given up');
          return true;
        }
        const wait = retryDelayMs(decision, delays);
        this.log.warn({ ...ctx, retryInMs: wait }, 'alert webhook failed; retrying');
        if (!(await this.sleep(wait))) return false;
      }
    }
    return true;
  }

  private async post(body: WebhookBody): Promise<void> {
    const res = await fetch(this.opts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'yizhan-server' },
      body: JSON.stringify(body),
      signal: AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), this.stopping.signal]),
    });
    const text = (await res.text().catch(() => '')).slice(0, 200);
    if (res.ok) return;
    throw new HttpStatusError(`HTTP ${res.status} ${text}`.trim(), res.status, res.headers);
  }

  /** Resolves true after ms, false at once when stopping. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const signal = this.stopping.signal;
      if (signal.aborted) return resolve(false);
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
