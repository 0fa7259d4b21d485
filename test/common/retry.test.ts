/** The one retry decision: what each InfluxDB (or webhook) answer and each network failure means for a retry. */
import { describe, expect, it } from 'vitest';
import { HttpError, RequestTimedOutError } from '@influxdata/influxdb-client';
import {
  HttpStatusError,
  decideStatus,
  parseRetryAfter,
  retryDecision,
  retryDelayMs,
  type RetryDecision,
} from '@yizhan/common/retry';
import { Backoff } from '@yizhan/common/backoff';

const NOW = Date.parse('2026-12-01T00:00:00Z');

describe('decideStatus', () => {
  it.each<[number, string | undefined, Partial<RetryDecision>]>([
    [429, '7', { retriable: true, reason: 'throttled', split: false, retryAfterMs: 7000 }],
    [503, 'Tue, 01 Dec 2026 00:00:30 GMT', { retriable: true, reason: 'unavailable', retryAfterMs: 30_000 }],
    [503, undefined, { retriable: true, reason: 'unavailable', retryAfterMs: undefined }],
    [500, undefined, { retriable: true, reason: 'server_error' }],
    [502, undefined, { retriable: true, reason: 'server_error' }],
    [504, undefined, { retriable: true, reason: 'server_error' }],
    [507, undefined, { retriable: true, reason: 'server_error' }],
    [501, '5', { retriable: false, reason: 'not_supported', retryAfterMs: undefined }],
    [505, undefined, { retriable: false, reason: 'not_supported' }],
    [408, undefined, { retriable: true, reason: 'request_timeout' }],
    [425, undefined, { retriable: true, reason: 'too_early' }],
    // InfluxDB: line protocol parse error, field type conflict, partial write, beyond retention.
    [400, undefined, { retriable: false, reason: 'bad_request', split: true }],
    [422, undefined, { retriable: false, reason: 'bad_request', split: true }],
    [413, undefined, { retriable: false, reason: 'too_large', split: true }],
    [401, undefined, { retriable: false, reason: 'unauthorized', split: false }],
    [403, undefined, { retriable: false, reason: 'unauthorized' }],
    [404, undefined, { retriable: false, reason: 'not_found' }],
    [409, undefined, { retriable: false, reason: 'client_error' }],
  ])('HTTP %d (Retry-After %s)', (status, retryAfter, want) => {
    const d = decideStatus(status, retryAfter, NOW);
    const { retryAfterMs, ...rest } = want;
    expect(d).toMatchObject({ ...rest, status });
    if ('retryAfterMs' in want) expect(d.retryAfterMs).toBe(retryAfterMs);
  });
});

describe('retryDecision', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  it.each<[string, unknown, Partial<RetryDecision>]>([
    [
      'influxdb-client HttpError 429 with Retry-After header',
      new HttpError(429, 'Too Many Requests', '', '3', undefined, undefined, { 'retry-after': '3' }),
      { retriable: true, reason: 'throttled', status: 429, retryAfterMs: 3000 },
    ],
    [
      'influxdb-client HttpError 503 with only its retryAfter()',
      new HttpError(503, 'Service Unavailable', '', '2'),
      { retriable: true, reason: 'unavailable', retryAfterMs: 2000 },
    ],
    [
      'influxdb-client HttpError 400 partial write',
      new HttpError(400, 'Bad Request', '{"error":"partial write: field type conflict"}'),
      { retriable: false, split: true, status: 400 },
    ],
    [
      'fetch answer 503 with Retry-After',
      new HttpStatusError('HTTP 503', 503, new Headers({ 'retry-after': '4' })),
      { retriable: true, reason: 'unavailable', retryAfterMs: 4000 },
    ],
    ['Node network error', refused, { retriable: true, reason: 'network' }],
    [
      'fetch failed (undici), code on the cause',
      new TypeError('fetch failed', { cause: refused }),
      { retriable: true, reason: 'network' },
    ],
    [
      'fetch failed (undici) on a connect timeout, code on the cause',
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
      }),
      { retriable: true, reason: 'timeout' },
    ],
    [
      'an error whose own flag overrides its status',
      Object.assign(new Error('x'), { status: 503, retriable: false }),
      { retriable: false, reason: 'unavailable', status: 503 },
    ],
    [
      'AbortSignal.timeout',
      new DOMException('timed out', 'TimeoutError'),
      { retriable: true, reason: 'timeout' },
    ],
    [
      'ETIMEDOUT',
      Object.assign(new Error('x'), { code: 'ETIMEDOUT' }),
      { retriable: true, reason: 'timeout' },
    ],
    ['influxdb-client request timeout', new RequestTimedOutError(), { retriable: true, reason: 'timeout' }],
    [
      'aborted by the caller',
      new DOMException('stop', 'AbortError'),
      { retriable: false, reason: 'aborted' },
    ],
    [
      'an error that says it is not retriable (query error in the body)',
      Object.assign(new Error('database not found'), { retriable: false }),
      { retriable: false },
    ],
    [
      'an error with a status and its own flag and wait',
      Object.assign(new Error('x'), { status: 503, retriable: true, retryAfterMs: 1500 }),
      { retriable: true, reason: 'unavailable', retryAfterMs: 1500 },
    ],
    ['a thrown string', 'boom', { retriable: true, reason: 'network' }],
    ['undefined', undefined, { retriable: true, reason: 'network' }],
  ])('%s', (_name, e, want) => {
    expect(retryDecision(e, NOW)).toMatchObject(want);
  });

  it('reads a real refused connection from fetch as a network error worth retrying', async () => {
    const e: unknown = await fetch('http://127.0.0.1:1/').catch((err: unknown) => err);
    expect(retryDecision(e)).toMatchObject({ retriable: true, reason: 'network', split: false });
  });
});

describe('retryDelayMs', () => {
  it.each<[string, RetryDecision | undefined, number[]]>([
    ['no decision: the backoff', undefined, [100, 200, 400]],
    [
      'no Retry-After: the backoff',
      { retriable: true, reason: 'server_error', split: false },
      [100, 200, 400],
    ],
    [
      'Retry-After longer than the backoff wins',
      { retriable: true, reason: 'throttled', split: false, retryAfterMs: 300 },
      [300, 300, 400],
    ],
    [
      'Retry-After is bounded to 5 min',
      { retriable: true, reason: 'throttled', split: false, retryAfterMs: 86_400_000 },
      [300_000, 300_000, 300_000],
    ],
  ])('%s', (_name, decision, want) => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    expect(want.map(() => retryDelayMs(decision, b))).toEqual(want);
  });
});

describe('parseRetryAfter', () => {
  it.each<[string | undefined, number | undefined]>([
    ['120', 120_000],
    [' 0 ', 0],
    ['Tue, 01 Dec 2026 00:01:00 GMT', 60_000],
    ['Mon, 30 Nov 2026 00:00:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    [undefined, undefined],
  ])('%s → %s ms', (v, want) => {
    expect(parseRetryAfter(v, NOW)).toBe(want);
  });
});
