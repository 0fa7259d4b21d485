/**
 * One retry decision for every loop that retries a request (InfluxDB writes, setup and queries,
 * the alert webhook): an error or an HTTP answer becomes retriable or not, why, whether its parts
 * may pass where the whole did not, and how long the other side asked to wait. In the shape of
 * influxdb-client-js's `RetriableDecision` read by one `canRetryHttpCall`, but it reads what the
 * client library, `fetch` and our own errors throw alike, and nothing else in the tree decides.
 *
 * | answer                                          | retriable | split | reason          |
 * |-------------------------------------------------|-----------|-------|-----------------|
 * | 429 (InfluxDB 2.x/3.x Cloud quota), Retry-After | yes       |       | `throttled`     |
 * | 503 (1.x/2.x/3.x overloaded, 3.x starting)      | yes       |       | `unavailable`   |
 * | 500, 502, 504, 507 and other 5xx               | yes       |       | `server_error`  |
 * | 501, 505                                        | no        |       | `not_supported` |
 * | 408, 425                                        | yes       |       | `request_timeout` / `too_early` |
 * | 400, 422 (parse error, field type conflict, partial write, beyond retention) | no | yes | `bad_request` |
 * | 413 (request body too large)                    | no        | yes   | `too_large`     |
 * | 401, 403                                        | no        |       | `unauthorized`  |
 * | 404 (wrong URL, database, bucket)               | no        |       | `not_found`     |
 * | other 4xx                                       | no        |       | `client_error`  |
 * | timeouts (TimeoutError, ETIMEDOUT, …)           | yes       |       | `timeout`       |
 * | refused, reset, unreachable, DNS, other errors  | yes       |       | `network`       |
 * | aborted by the caller (AbortError)              | no        |       | `aborted`       |
 *
 * "Not retriable" means that sending the same request again cannot help until someone changes
 * something; a loop may still retry it slowly (the InfluxDB setup does, an operator may fix the
 * settings), but logs it as an error. An error that carries its own `retriable` (or `retryable`)
 * flag keeps it.
 */

export type RetryReason =
  | 'throttled'
  | 'unavailable'
  | 'server_error'
  | 'not_supported'
  | 'request_timeout'
  | 'too_early'
  | 'bad_request'
  | 'too_large'
  | 'unauthorized'
  | 'not_found'
  | 'client_error'
  | 'timeout'
  | 'network'
  | 'aborted';

export interface RetryDecision {
  /** Sending the same request again later may succeed. */
  retriable: boolean;
  reason: RetryReason;
  /** The request as a whole will not pass, but its parts may (a write: split the batch). */
  split: boolean;
  /** HTTP status, when there was an answer. */
  status?: number;
  /** The server asked to wait this long before the next request (Retry-After), ms. */
  retryAfterMs?: number;
}

export interface RetryOptions {
  /** A Retry-After longer than this is cut to it, ms: a broken proxy must not park a loop for days. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({ maxRetryAfterMs: 300_000 });

/** A non-2xx answer, for callers that make their own requests (fetch): read by {@link retryDecision}. */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  constructor(
    message: string,
    readonly status: number,
    readonly headers?: { get(name: string): string | null },
  ) {
    super(message);
  }
}

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The decision for an HTTP answer with `status` (not 2xx) and its Retry-After header, if any. */
export function decideStatus(status: number, retryAfter?: string | null, now = Date.now()): RetryDecision {
  const d = (retriable: boolean, reason: RetryReason, split = false): RetryDecision => ({
    retriable,
    reason,
    split,
    status,
  });
  let out: RetryDecision;
  if (status === 429) out = d(true, 'throttled');
  else if (status === 503) out = d(true, 'unavailable');
  else if (status === 501 || status === 505) out = d(false, 'not_supported');
  else if (status >= 500) out = d(true, 'server_error');
  else if (status === 408) out = d(true, 'request_timeout');
  else if (status === 425) out = d(true, 'too_early');
  else if (status === 400 || status === 422) out = d(false, 'bad_request', true);
  else if (status === 413) out = d(false, 'too_large', true);
  else if (status === 401 || status === 403) out = d(false, 'unauthorized');
  else if (status === 404) out = d(false, 'not_found');
  else out = d(false, 'client_error');
  const after = out.retriable ? parseRetryAfter(retryAfter, now) : undefined;
  if (after !== undefined) out.retryAfterMs = after;
  return out;
}

/**
 * The decision for anything a request threw: the client library's HttpError (statusCode,
 * headers), an error with `status`, one that carries its own `retriable`/`retryable` flag, a
 * Node or undici network error (its `code`, or its `cause`'s), a timeout or an abort.
 */
export function retryDecision(e: unknown, now = Date.now()): RetryDecision {
  const o = isObject(e) ? e : {};
  const status = numberField(o, 'statusCode') ?? numberField(o, 'status');
  const own =
    typeof o.retriable === 'boolean'
      ? o.retriable
      : typeof o.retryable === 'boolean'
        ? o.retryable
        : undefined;
  if (status !== undefined) {
    const d = decideStatus(status, retryAfterOf(o), now);
    if (d.retryAfterMs === undefined) {
      const ms = numberField(o, 'retryAfterMs');
      if (ms !== undefined && ms > 0) d.retryAfterMs = ms;
    }
    if (own !== undefined) d.retriable = own;
    return d;
  }
  if (own !== undefined) return { retriable: own, reason: own ? 'network' : 'client_error', split: false };
  const name = typeof o.name === 'string' ? o.name : '';
  const code = codeOf(o) ?? (isObject(o.cause) ? codeOf(o.cause) : undefined);
  if (name === 'AbortError') return { retriable: false, reason: 'aborted', split: false };
  if (name === 'TimeoutError' || name === 'RequestTimedOutError' || (code && TIMEOUT_CODES.has(code)))
    return { retriable: true, reason: 'timeout', split: false };
  // Refused, reset, unreachable, DNS, or anything else without an answer: a later request may get one.
  return { retriable: true, reason: 'network', split: false };
}

/**
 * The wait before the next attempt: the backoff's next delay, or longer when the server asked
 * for it (Retry-After, bounded by `maxRetryAfterMs`). Every retry loop takes its wait from here.
 */
export function retryDelayMs(
  decision: RetryDecision | undefined,
  backoff: { next(): number },
  opts: RetryOptions = DEFAULT_RETRY_OPTIONS,
): number {
  const wait = backoff.next();
  const asked = decision?.retryAfterMs;
  return asked === undefined ? wait : Math.max(wait, Math.min(asked, opts.maxRetryAfterMs));
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date names its weekday and month; Date.parse alone would read "-5" as a year.
  if (!/^[A-Za-z]{3},? /.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

function retryAfterOf(o: Record<string, unknown>): string | undefined {
  const h = o.headers;
  if (isObject(h)) {
    if (typeof h.get === 'function')
      return (h as { get(n: string): string | null }).get('retry-after') ?? undefined;
    const v = h['retry-after'];
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  }
  // influxdb-client's HttpError keeps the header's seconds when it has no headers object.
  if (typeof o.retryAfter === 'function') {
    const s: unknown = (o.retryAfter as () => unknown).call(o);
    if (typeof s === 'number' && s > 0) return String(s);
  }
  return undefined;
}

function codeOf(o: Record<string, unknown>): string | undefined {
  return typeof o.code === 'string' ? o.code : undefined;
}

function numberField(o: Record<string, unknown>, k: string): number | undefined {
  const v = o[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
