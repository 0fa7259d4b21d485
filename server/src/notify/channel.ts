/**
 * Notification channels: one message, one attempt, one answer. A channel sends an
 * {@link OutboundMessage} once and says whether it was delivered and, when not, whether sending
 * the same message again later may succeed; retries, backoff and the outbox belong to the caller.
 *
 * One retry decision (@yizhan/common/retry) for what the transport throws or answers: network
 * errors, timeouts, 408/425/429 and 5xx are retryable, other HTTP answers are not. IM vendors
 * answer HTTP 200 with an error code in the body: a non-zero code is a failure, retryable only
 * when it is the vendor's rate limit or "busy" code (a bad signature, a missing keyword or a wrong
 * token stays wrong until someone changes the settings).
 */
import { decideStatus, retryDecision } from '@yizhan/common/retry';

export interface OutboundMessage {
  /** Short headline (card header, e-mail subject, DingTalk notification preview). */
  title: string;
  /** Body in the vendors' Markdown subset. */
  markdown: string;
  /** The same body as plain text. */
  text: string;
  /** The alert or work-order page. */
  link?: string;
  /** Mobile numbers to @-mention where the channel can. */
  mentionMobiles?: string[];
  /** @-mention everyone in the group. */
  mentionAll?: boolean;
  /** The township's name, for the headline of a merged group (render.ts mergeMessages). */
  township?: string;
  /** What a merged group of such messages is called ("新告警", "告警已恢复", …). */
  groupNoun?: string;
  /** A webhook channel with `raw` posts this body as it is (the legacy alert webhook's JSON). */
  raw?: unknown;
}

export interface SendResult {
  ok: boolean;
  /** Sending the same message again later may succeed. */
  retryable: boolean;
  /** The vendor's error code, `http_<status>`, or the retry reason (`timeout`, `network`, `bad_answer`, …). */
  code?: string;
  /** What happened, for the attempt log. */
  detail: string;
  /** The other side asked to wait this long before the next attempt, ms. */
  retryAfterMs?: number;
}

export type ChannelKind = 'wecom' | 'dingtalk' | 'feishu' | 'email' | 'webhook';

export interface Channel {
  readonly kind: ChannelKind;
  readonly name: string;
  send(m: OutboundMessage, signal?: AbortSignal): Promise<SendResult>;
}

/** Per-request timeout of every channel unless its options say otherwise, ms. */
export const DEFAULT_CHANNEL_TIMEOUT_MS = 10_000;

/** Longest part of an answer kept in `detail`, characters. */
const DETAIL_CHARS = 200;

/** What a transport threw (fetch, nodemailer), as a failed result. */
export function thrownResult(e: unknown, timeoutMs: number): SendResult {
  const d = retryDecision(e);
  const message = e instanceof Error ? e.message : String(e);
  const detail = d.reason === 'timeout' && d.status === undefined ? `timeout after ${timeoutMs} ms` : message;
  return {
    ok: false,
    retryable: d.retriable,
    code: d.status === undefined ? d.reason : `http_${d.status}`,
    detail,
    ...(d.retryAfterMs === undefined ? {} : { retryAfterMs: d.retryAfterMs }),
  };
}

export interface PostOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/**
 * POST `body` as JSON and hand a 2xx JSON answer to `read`; transport errors, non-2xx answers and
 * a 2xx that is not JSON become failed results here, so no channel decides them on its own.
 * A 2xx that is not JSON is not retryable: the message may have been delivered.
 * Without `read` any 2xx is delivered, whatever its body.
 */
export async function postJson(
  url: string,
  body: unknown,
  opts: PostOptions,
  read?: (answer: unknown) => SendResult,
): Promise<SendResult> {
  let status: number;
  let text: string;
  let retryAfter: string | null;
  try {
    const signals = [AbortSignal.timeout(opts.timeoutMs), ...(opts.signal ? [opts.signal] : [])];
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'yizhan-server',
        ...opts.headers,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.any(signals),
    });
    status = res.status;
    retryAfter = res.headers.get('retry-after');
    text = await res.text();
  } catch (e) {
    return thrownResult(e, opts.timeoutMs);
  }
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, DETAIL_CHARS);
  if (status < 200 || status > 299) {
    const d = decideStatus(status, retryAfter);
    return {
      ok: false,
      retryable: d.retriable,
      code: `http_${status}`,
      detail: `HTTP ${status} ${snippet}`.trim(),
      ...(d.retryAfterMs === undefined ? {} : { retryAfterMs: d.retryAfterMs }),
    };
  }
  if (!read) return { ok: true, retryable: false, code: String(status), detail: `HTTP ${status}` };
  let answer: unknown;
  try {
    answer = text === '' ? undefined : JSON.parse(text);
  } catch {
    return {
      ok: false,
      retryable: false,
      code: 'bad_answer',
      detail: `HTTP ${status}, not JSON: ${snippet}`,
    };
  }
  return read(answer);
}

/** How a vendor's non-zero code is treated: retryable, and how long to wait first (ms). */
export interface VendorCode {
  retryable: boolean;
  retryAfterMs?: number;
}

/**
 * The result for a vendor's `{code, message}` answer: 0 is delivered, a code in `retryable` may
 * pass later, anything else (known or not) is a failure a retry cannot fix. A missing or
 * non-numeric code is a failure too: the vendor's contract always carries one.
 */
export function vendorResult(
  vendor: string,
  code: unknown,
  message: unknown,
  codes: ReadonlyMap<number, VendorCode>,
): SendResult {
  const msg = typeof message === 'string' ? message.slice(0, DETAIL_CHARS) : '';
  if (typeof code !== 'number') {
    return {
      ok: false,
      retryable: false,
      code: 'bad_answer',
      detail: `${vendor}: answer without a code ${msg}`.trim(),
    };
  }
  if (code === 0) return { ok: true, retryable: false, code: '0', detail: `${vendor}: ${msg || 'ok'}` };
  const known = codes.get(code);
  return {
    ok: false,
    retryable: known?.retryable ?? false,
    code: String(code),
    detail: `${vendor} ${code}: ${msg}`,
    ...(known?.retryAfterMs === undefined ? {} : { retryAfterMs: known.retryAfterMs }),
  };
}

/** A field of a JSON answer, or undefined when the answer is not an object. */
export function field(answer: unknown, key: string): unknown {
  return typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>)[key] : undefined;
}
