/**
 * DingTalk (钉钉) custom robot: POST https://oapi.dingtalk.com/robot/send?access_token=TOKEN.
 * With the "加签" security setting the URL also carries `timestamp` (ms) and
 * `sign` = urlencode(Base64(HMAC-SHA256(key = secret, message = `${timestamp}\n${secret}`)));
 * DingTalk refuses a timestamp more than an hour off. Answers `{errcode, errmsg}`, 0 when delivered.
 *
 * `markdown` with `at.atMobiles`: a mention only shows when the text also holds `@<mobile>`.
 * A robot takes 20 messages a minute; beyond, it is throttled for 10 minutes (130101 / 410100).
 * 310000 is a bad signature, a missing keyword or an address outside the IP allow-list.
 */
import { createHmac } from 'node:crypto';
import { DEFAULT_CHANNEL_TIMEOUT_MS, field, postJson, vendorResult } from '../channel.js';
import type { Channel, OutboundMessage, SendResult, VendorCode } from '../channel.js';

export interface DingtalkOptions {
  /** The robot's webhook URL, access_token included. */
  url: string;
  /** The "加签" secret (SEC…); without it the robot must be protected by keywords or IPs. */
  secret?: string;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  /** Clock for the signature's timestamp, ms since the epoch. */
  now?: () => number;
}

/** How long DingTalk throttles a robot that sent more than 20 messages in a minute, ms. */
export const DINGTALK_THROTTLE_MS = 10 * 60_000;

const CODES: ReadonlyMap<number, VendorCode> = new Map([
  [-1, { retryable: true }], // system busy
  [130101, { retryable: true, retryAfterMs: DINGTALK_THROTTLE_MS }], // send too fast
  [410100, { retryable: true, retryAfterMs: DINGTALK_THROTTLE_MS }], // 发送速度太快而限流
  [310000, { retryable: false }], // sign not match / keywords not in content / ip not in whitelist
  [300005, { retryable: false }], // token is not exist
  [300001, { retryable: false }], // invalid token
]);

export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

export class DingtalkChannel implements Channel {
  readonly kind = 'dingtalk' as const;
  private readonly timeoutMs: number;

  constructor(
    readonly name: string,
    private readonly opts: DingtalkOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS;
  }

  send(m: OutboundMessage, signal?: AbortSignal): Promise<SendResult> {
    return postJson(this.signedUrl(), dingtalkBody(m), { timeoutMs: this.timeoutMs, signal }, (a) =>
      vendorResult('dingtalk', field(a, 'errcode'), field(a, 'errmsg'), CODES),
    );
  }

  private signedUrl(): string {
    if (!this.opts.secret) return this.opts.url;
    const url = new URL(this.opts.url);
    const ts = (this.opts.now ?? Date.now)();
    url.searchParams.set('timestamp', String(ts));
    url.searchParams.set('sign', dingtalkSign(this.opts.secret, ts));
    return url.toString();
  }
}

export function dingtalkBody(m: OutboundMessage): unknown {
  const mobiles = m.mentionMobiles ?? [];
  const mentions = [...mobiles.map((p) => `@${p}`), ...(m.mentionAll ? ['@所有人'] : [])].join(' ');
  const parts = [
    `#### ${m.title}`,
    m.markdown,
    ...(m.link ? [`[查看详情](${m.link})`] : []),
    ...(mentions ? [mentions] : []),
  ];
  return {
    msgtype: 'markdown',
    markdown: { title: m.title, text: parts.join('\n\n') },
    at: { atMobiles: mobiles, isAtAll: m.mentionAll === true },
  };
}
