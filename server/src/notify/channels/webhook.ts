/**
 * A generic webhook channel: POSTs the {@link OutboundMessage} itself as JSON
 * (`{ "version": "1", "receiver": "yizhan", "message": {title, markdown, text, link, mentionMobiles, mentionAll} }`).
 * Any 2xx is delivered, whatever its body; other answers follow the one retry decision.
 * The Alertmanager-like alert webhook (alerts/webhook.ts) stays as it is beside it.
 */
import { DEFAULT_CHANNEL_TIMEOUT_MS, postJson } from '../channel.js';
import type { Channel, OutboundMessage, SendResult } from '../channel.js';

export interface WebhookChannelOptions {
  url: string;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  /** Extra request headers (an Authorization token). */
  headers?: Record<string, string>;
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
    const body = { version: '1', receiver: 'yizhan', message: m };
    const opts = {
      timeoutMs: this.timeoutMs,
      signal,
      ...(this.opts.headers ? { headers: this.opts.headers } : {}),
    };
    return postJson(this.opts.url, body, opts);
  }
}
