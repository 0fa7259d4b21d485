/**
 * WeCom (企业微信) group robot: POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY.
 * No signature: the key in the URL is the secret. Answers `{errcode, errmsg}`, 0 when delivered.
 *
 * `markdown` messages (content ≤ 4096 bytes) cannot carry `mentioned_mobile_list` (only `text`
 * messages can, content ≤ 2048 bytes), and markdown's `<@userid>` needs WeCom user ids, which we do
 * not keep. So a message that @-mentions someone goes as `text` with `mentioned_mobile_list`
 * (`@all` for everyone); one without mentions goes as `markdown`.
 * A robot takes at most 20 messages a minute (errcode 45009 beyond).
 */
import { DEFAULT_CHANNEL_TIMEOUT_MS, field, postJson, vendorResult } from '../channel.js';
import type { Channel, OutboundMessage, SendResult, VendorCode } from '../channel.js';

export interface WecomOptions {
  /** The robot's webhook URL, key included. */
  url: string;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
}

/** Bytes WeCom accepts in a text message's content; longer text is cut, not refused. */
export const WECOM_TEXT_MAX_BYTES = 2048;
/** Bytes WeCom accepts in a markdown message's content. */
export const WECOM_MARKDOWN_MAX_BYTES = 4096;

const CODES: ReadonlyMap<number, VendorCode> = new Map([
  [-1, { retryable: true }], // system busy
  [45009, { retryable: true, retryAfterMs: 60_000 }], // api freq out of limit (20/min)
  [93000, { retryable: false }], // invalid webhook url (wrong or deleted key)
  [40008, { retryable: false }], // invalid message type
]);

export class WecomChannel implements Channel {
  readonly kind = 'wecom' as const;
  private readonly timeoutMs: number;

  constructor(
    readonly name: string,
    private readonly opts: WecomOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS;
  }

  send(m: OutboundMessage, signal?: AbortSignal): Promise<SendResult> {
    return postJson(this.opts.url, wecomBody(m), { timeoutMs: this.timeoutMs, signal }, (a) =>
      vendorResult('wecom', field(a, 'errcode'), field(a, 'errmsg'), CODES),
    );
  }
}

export function wecomBody(m: OutboundMessage): unknown {
  const mobiles = [...(m.mentionMobiles ?? []), ...(m.mentionAll ? ['@all'] : [])];
  const link = m.link ? `\n${m.link}` : '';
  if (mobiles.length) {
    const content = cutBytes(`${m.title}\n${m.text}`, WECOM_TEXT_MAX_BYTES - byteLength(link)) + link;
    return { msgtype: 'text', text: { content, mentioned_mobile_list: mobiles } };
  }
  const more = m.link ? `\n[查看详情](${m.link})` : '';
  const content =
    cutBytes(`**${m.title}**\n${m.markdown}`, WECOM_MARKDOWN_MAX_BYTES - byteLength(more)) + more;
  return { msgtype: 'markdown', markdown: { content } };
}

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/** `s` cut to at most `max` UTF-8 bytes on a character boundary, with an ellipsis when cut. */
export function cutBytes(s: string, max: number): string {
  if (byteLength(s) <= max) return s;
  let out = '';
  let bytes = byteLength('…');
  for (const ch of s) {
    const n = byteLength(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return `${out}…`;
}
