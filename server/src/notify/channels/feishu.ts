/**
 * Feishu / Lark (飞书) custom bot: POST https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN.
 * With "签名校验" the JSON body carries `timestamp` (SECONDS, as a string) and
 * `sign` = Base64(HMAC-SHA256(key = `${timestamp}\n${secret}`, message = empty)); Feishu refuses a
 * timestamp more than an hour off. Answers `{code, msg}`, 0 when delivered.
 *
 * The message is an `interactive` card: header with the title, a markdown element, a button to the
 * link. A custom bot can @-mention by open_id or e-mail only, not by mobile: `mentionAll` becomes
 * `<at id=all></at>`, mobiles are listed as plain `@<mobile>` text so the crew still sees who is meant.
 * Codes: 19021 bad signature or stale timestamp, 19024 keyword missing, 11232 rate limited,
 * 9499 bad request.
 */
import { createHmac } from 'node:crypto';
import { DEFAULT_CHANNEL_TIMEOUT_MS, field, postJson, vendorResult } from '../channel.js';
import type { Channel, OutboundMessage, SendResult, VendorCode } from '../channel.js';

export interface FeishuOptions {
  /** The bot's webhook URL. */
  url: string;
  /** The "签名校验" secret; without it the bot must be protected by keywords or IPs. */
  secret?: string;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  /** Clock for the signature's timestamp, ms since the epoch. */
  now?: () => number;
}

const CODES: ReadonlyMap<number, VendorCode> = new Map([
  [11232, { retryable: true, retryAfterMs: 60_000 }], // frequency limited
  [19021, { retryable: false }], // sign match fail or timestamp not within one hour
  [19024, { retryable: false }], // key words not found
  [19022, { retryable: false }], // ip not allowed
  [9499, { retryable: false }], // bad request
]);

export function feishuSign(secret: string, timestampS: number): string {
  return createHmac('sha256', `${timestampS}\n${secret}`).update('').digest('base64');
}

export class FeishuChannel implements Channel {
  readonly kind = 'feishu' as const;
  private readonly timeoutMs: number;

  constructor(
    readonly name: string,
    private readonly opts: FeishuOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS;
  }

  send(m: OutboundMessage, signal?: AbortSignal): Promise<SendResult> {
    let body = feishuBody(m) as Record<string, unknown>;
    if (this.opts.secret) {
      const ts = Math.floor((this.opts.now ?? Date.now)() / 1000);
      body = { timestamp: String(ts), sign: feishuSign(this.opts.secret, ts), ...body };
    }
    return postJson(this.opts.url, body, { timeoutMs: this.timeoutMs, signal }, (a) =>
      vendorResult(
        'feishu',
        field(a, 'code') ?? field(a, 'StatusCode'),
        field(a, 'msg') ?? field(a, 'StatusMessage'),
        CODES,
      ),
    );
  }
}

export function feishuBody(m: OutboundMessage): unknown {
  const mentions = [
    ...(m.mentionAll ? ['<at id=all></at>'] : []),
    ...(m.mentionMobiles ?? []).map((p) => `@${p}`),
  ];
  const content = mentions.length ? `${m.markdown}\n${mentions.join(' ')}` : m.markdown;
  const button = m.link
    ? [
        {
          tag: 'action',
          actions: [
            { tag: 'button', text: { tag: 'plain_text', content: '查看详情' }, type: 'primary', url: m.link },
          ],
        },
      ]
    : [];
  return {
    msg_type: 'interactive',
    card: {
      config: { wide_screen_mode: true },
      header: { title: { tag: 'plain_text', content: m.title }, template: 'red' },
      elements: [{ tag: 'markdown', content }, ...button],
    },
  };
}
