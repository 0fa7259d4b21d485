/**
 * A generic webhook channel: POSTs the {@link OutboundMessage} itself as JSON
 * (`{ "version": "1", "receiver": "yizhan", "message": {title, markdown, text, link, mentionMobiles, mentionAll} }`).
 * Any 2xx is delivered, whatever its body; other answers follow the one retry decision.
 * With `raw`, a message carrying `raw` is posted as that body: YIZHAN_ALERT_WEBHOOK_URL keeps its
 * Alertmanager-like JSON (alerts/webhook.ts webhookBody) through the outbox.
 */
import { DEFAULT_CHANNEL_TIMEOUT_MS, postJson } from '../channel.js';
import type { Channel, OutboundMessage, SendResult } from '../channel.js';

export interface WebhookChannelOptions {
  url: string;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  /** Extra request headers (an Authorization token). */
  headers?: Record<string, string>;
  /** Post a message's `raw` body as it is, when it has one. */
  raw?: boolean;
}

export class WebhookChannel implements Channel {
  readonly kind = 'webhook' as const;
  private readonly timeoutMs: number;

  constructor(
    readonly name: string,
    private readonly opts: WebhookChannelOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS;
  }

  send(m: OutboundMessage, signal?: AbortSignal): Promise<SendResult> {
    const body =
      this.opts.raw && m.raw !== undefined ? m.raw : { version: '1', receiver: 'yizhan', message: m };
    const opts = {
      timeoutMs: this.timeoutMs,
      signal,
      ...(this.opts.headers ? { headers: this.opts.headers } : {}),
    };
    return postJson(this.opts.url, body, opts);
  }
}
