/**
 * Transport for `@influxdata/influxdb-client` that lets its WriteApi talk to InfluxDB 1.x.
 *
 * The client always writes to `/api/v2/write?org=…&bucket=…&precision=…`, which 1.x (before 1.8)
 * does not have. With `api: 'v1'` this wrapper rewrites such requests to
 * `/write?db=…&rp=…&precision=…` and adds 1.x authentication (HTTP basic, or `u`/`p` query
 * parameters); every other path (e.g. `/query`, `/ping`) passes through with the same
 * authentication. With `api: 'v2'` the client's own transport is used as is (token auth), which
 * also works for 2.x/3.x and for 1.8+ with its v2 compatibility endpoints.
 */
import {
  InfluxDB,
  type ChunkCombiner,
  type CommunicationObserver,
  type ResponseStartedFn,
  type SendOptions,
  type Transport,
} from '@influxdata/influxdb-client';

export type InfluxApi = 'v1' | 'v2';

export interface InfluxConnection {
  /** Base URL, e.g. `http://127.0.0.1:8086`. */
  url: string;
  /** `v1`: InfluxDB 1.x `/write` + `/query`; `v2`: the client's native v2 API. */
  api: InfluxApi;
  /** 1.x database; also the default bucket part before "/". */
  db: string;
  /** 1.x retention policy; also the default bucket part after "/". */
  rp: string;
  /** v2 API token. On v1 it is sent as `Authorization: Token …` when no username is set (1.8+ accepts `user:password`). */
  token?: string;
  /** v2 organisation (ignored on v1). */
  org?: string;
  /** v2 bucket; default `db/rp` (the DBRP naming of 2.x). */
  bucket?: string;
  /** 1.x user (with `password`). */
  username?: string;
  password?: string;
  /** How 1.x credentials travel: `basic` (Authorization header, default) or `params` (`u`/`p` in the URL). */
  v1Auth?: 'basic' | 'params';
  /** Request timeout in ms. Default {@link DEFAULT_INFLUX_CONNECTION}. */
  timeoutMs?: number;
}

/** Defaults of the connection: the only place they are written (the server's settings read them). */
export const DEFAULT_INFLUX_CONNECTION = Object.freeze({
  api: 'v1',
  db: 'yizhan',
  rp: 'raw',
  v1Auth: 'basic',
  /** Request timeout for InfluxDB HTTP calls, ms. */
  timeoutMs: 10_000,
} as const satisfies Partial<InfluxConnection>);

const V2_WRITE = '/api/v2/write';
/** v2 precision names → 1.x `precision` values. */
const PRECISION_V1: Record<string, string> = { ns: 'n', us: 'u', ms: 'ms', s: 's' };

export interface V1RewriteOptions {
  /** Overrides the database taken from the bucket. */
  db?: string;
  /** Overrides the retention policy taken from the bucket. */
  rp?: string;
  /** Appended as `u`/`p` query parameters when set. */
  params?: { u: string; p: string };
}

/**
 * Map a v2 write path to the 1.x write path; other paths get only the auth parameters.
 * `bucket` is read as `db/rp` (or just `db`); `opts.db`/`opts.rp` take precedence over it.
 * Throws when no database can be found: a programming or configuration error, retrying cannot help.
 */
export function rewritePathForV1(path: string, opts: V1RewriteOptions = {}): string {
  const q = path.indexOf('?');
  const pathname = q < 0 ? path : path.slice(0, q);
  if (pathname !== V2_WRITE && !opts.params) return path;
  const search = new URLSearchParams(q < 0 ? '' : path.slice(q + 1));
  let out: URLSearchParams;
  let target = pathname;
  if (pathname === V2_WRITE) {
    const bucket = search.get('bucket') ?? '';
    const slash = bucket.indexOf('/');
    const db = opts.db ?? (slash < 0 ? bucket : bucket.slice(0, slash));
    const rp = opts.rp ?? (slash < 0 ? '' : bucket.slice(slash + 1));
    if (!db) throw new Error(`cannot map ${path} to InfluxDB 1.x: no database in bucket and no db option`);
    out = new URLSearchParams({ db });
    if (rp) out.set('rp', rp);
    const precision = search.get('precision');
    if (precision) out.set('precision', PRECISION_V1[precision] ?? precision);
    const consistency = search.get('consistency');
    if (consistency) out.set('consistency', consistency);
    target = '/write';
  } else {
    out = search;
  }
  if (opts.params) {
    out.set('u', opts.params.u);
    out.set('p', opts.params.p);
  }
  const s = out.toString();
  return s ? `${target}?${s}` : target;
}

/** Wraps another Transport: rewrites paths and adds 1.x auth headers. */
export class InfluxV1Transport implements Transport {
  readonly chunkCombiner: ChunkCombiner;
  private readonly rewrite: V1RewriteOptions;
  private readonly authHeader: string | undefined;

  constructor(
    private readonly inner: Transport,
    opts: { db?: string; rp?: string; username?: string; password?: string; v1Auth?: 'basic' | 'params' },
  ) {
    this.chunkCombiner = inner.chunkCombiner;
    this.rewrite = { db: opts.db, rp: opts.rp };
    if (opts.username !== undefined) {
      const password = opts.password ?? '';
      if (opts.v1Auth === 'params') this.rewrite.params = { u: opts.username, p: password };
      else this.authHeader = 'Basic ' + Buffer.from(`${opts.username}:${password}`).toString('base64');
    }
  }

  private opts(options: SendOptions): SendOptions {
    if (!this.authHeader) return options;
    return { ...options, headers: { ...options.headers, authorization: this.authHeader } };
  }

  send(
    path: string,
    body: string,
    options: SendOptions,
    callbacks?: Partial<CommunicationObserver<Uint8Array>>,
  ): void {
    let target: string;
    try {
      target = rewritePathForV1(path, this.rewrite);
    } catch (e) {
      callbacks?.error?.(e as Error);
      return;
    }
    this.inner.send(target, body, this.opts(options), callbacks);
  }

  request(
    path: string,
    body: unknown,
    options: SendOptions,
    responseStarted?: ResponseStartedFn,
  ): Promise<unknown> {
    return this.inner.request(
      rewritePathForV1(path, this.rewrite),
      body,
      this.opts(options),
      responseStarted,
    );
  }

  iterate(path: string, body: unknown, options: SendOptions): AsyncIterableIterator<Uint8Array> {
    return this.inner.iterate(rewritePathForV1(path, this.rewrite), body, this.opts(options));
  }
}

/** The client's own Node transport for a URL (token auth when a token is given). */
export function nodeTransport(url: string, token: string | undefined, timeoutMs: number): Transport {
  return new InfluxDB({ url, token, timeout: timeoutMs }).transport;
}

/** Build the transport for a connection: the 1.x wrapper for `v1`, the plain client transport for `v2`. */
export function createTransport(conn: InfluxConnection): Transport {
  const timeout = conn.timeoutMs ?? DEFAULT_INFLUX_CONNECTION.timeoutMs;
  if (conn.api === 'v2') return nodeTransport(conn.url, conn.token, timeout);
  // On 1.x a token is only used when there is no username (1.8+ accepts "Token user:password").
  const inner = nodeTransport(conn.url, conn.username === undefined ? conn.token : undefined, timeout);
  return new InfluxV1Transport(inner, {
    db: conn.db,
    rp: conn.rp,
    username: conn.username,
    password: conn.password,
    v1Auth: conn.v1Auth,
  });
}

/** Bucket name the WriteApi is created for. */
export function bucketFor(conn: InfluxConnection): string {
  return conn.bucket ?? `${conn.db}/${conn.rp}`;
}
