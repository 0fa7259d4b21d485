/**
 * InfluxQL over HTTP `/query`: works on 1.x, on 2.x (v1 compatibility API with a DBRP mapping) and
 * on 3.x. `SELECT`/`SHOW` go as GET, everything else (CREATE, ALTER, DROP, SELECT … INTO) as POST,
 * as the 1.x API requires. The JSON answer is checked against a schema before it is trusted.
 */
import { HttpError, type Transport } from '@influxdata/influxdb-client';
import { Type, type Static } from '@sinclair/typebox';
import { compile } from '@yizhan/protocol';
import { retryDecision } from '@yizhan/common/retry';

/**
 * A failed InfluxDB call. `retriable` says whether trying again later can help (common/src/retry.ts
 * decides), `retryAfterMs` how long InfluxDB asked to wait.
 */
export class InfluxError extends Error {
  override readonly name = 'InfluxError';
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const Series = Type.Object({
  name: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  columns: Type.Array(Type.String()),
  values: Type.Optional(Type.Array(Type.Array(Type.Unknown()))),
});
const QueryResponse = Type.Object({
  results: Type.Optional(
    Type.Array(
      Type.Object({
        statement_id: Type.Optional(Type.Integer()),
        series: Type.Optional(Type.Array(Series)),
        error: Type.Optional(Type.String()),
      }),
    ),
  ),
  error: Type.Optional(Type.String()),
});
const checkResponse = compile(QueryResponse);

export interface InfluxQLSeries {
  name: string;
  tags: Record<string, string>;
  columns: string[];
  values: unknown[][];
}
export interface InfluxQLResult {
  statementId: number;
  series: InfluxQLSeries[];
}
export type InfluxQLRow = Record<string, unknown>;

/** A row's value as a number: null for a missing field, a string or a non-finite value. */
export const rowNumber = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
export type Epoch = 'ns' | 'u' | 'ms' | 's' | 'm' | 'h';

export interface QueryOptions {
  /** Database; default the client's. */
  db?: string;
  /** Retention policy for unqualified measurements; default none (the database default). */
  rp?: string;
  /** Timestamps as numbers in this unit instead of RFC 3339 strings. */
  epoch?: Epoch;
}

/** Wrap any error from the transport as an {@link InfluxError}. */
export function toInfluxError(e: unknown, what: string): InfluxError {
  if (e instanceof InfluxError) return e;
  const d = retryDecision(e);
  if (e instanceof HttpError) {
    const body = (e.body ?? '').slice(0, 300);
    return new InfluxError(
      `${what}: HTTP ${e.statusCode} ${body}`.trim(),
      d.retriable,
      e.statusCode,
      d.retryAfterMs,
    );
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new InfluxError(`${what}: ${msg}`, d.retriable);
}

/** Quote an InfluxQL identifier (database, retention policy, measurement). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
/** Quote an InfluxQL string literal. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function isReadOnly(q: string): boolean {
  const s = q.trim().toUpperCase();
  if (s.startsWith('SHOW')) return true;
  return s.startsWith('SELECT') && !/\bINTO\b/.test(s);
}

export class InfluxQLClient {
  constructor(
    private readonly transport: Transport,
    private readonly defaults: { db?: string } = {},
  ) {}

  /** Run one or more `;`-separated statements; throws {@link InfluxError} on any statement error. */
  async query(q: string, opts: QueryOptions = {}): Promise<InfluxQLResult[]> {
    const params = new URLSearchParams({ q });
    const db = opts.db ?? this.defaults.db;
    if (db) params.set('db', db);
    if (opts.rp) params.set('rp', opts.rp);
    if (opts.epoch) params.set('epoch', opts.epoch);
    const method = isReadOnly(q) ? 'GET' : 'POST';
    let body: unknown;
    try {
      body = await this.transport.request(`/query?${params.toString()}`, '', {
        method,
        headers: { accept: 'application/json' },
      });
    } catch (e) {
      throw toInfluxError(e, `InfluxQL ${method} "${q.slice(0, 120)}"`);
    }
    if (!checkResponse.check(body))
      throw new InfluxError(
        `InfluxQL "${q.slice(0, 120)}": unexpected answer (${checkResponse.errors(body).join('; ')})`,
        false,
      );
    const r: Static<typeof QueryResponse> = body;
    if (r.error) throw new InfluxError(`InfluxQL "${q.slice(0, 120)}": ${r.error}`, false);
    return (r.results ?? []).map((res, i) => {
      if (res.error)
        throw new InfluxError(`InfluxQL "${q.slice(0, 120)}" statement ${i}: ${res.error}`, false);
      return {
        statementId: res.statement_id ?? i,
        series: (res.series ?? []).map((s) => ({
          name: s.name ?? '',
          tags: s.tags ?? {},
          columns: s.columns,
          values: s.values ?? [],
        })),
      };
    });
  }

  /** Rows of the first statement, one object per row with its columns and its series' tags. */
  async rows(q: string, opts: QueryOptions = {}): Promise<InfluxQLRow[]> {
    const [first] = await this.query(q, opts);
    const out: InfluxQLRow[] = [];
    for (const s of first?.series ?? [])
      for (const v of s.values) {
        const row: InfluxQLRow = { ...s.tags };
        s.columns.forEach((c, i) => (row[c] = v[i]));
        out.push(row);
      }
    return out;
  }

  /** `/ping`: resolves with the server version header (e.g. "1.6.7~rc0", "v2.7.1", "3.0.0"). */
  async ping(): Promise<{ version: string | undefined }> {
    let version: string | undefined;
    try {
      await this.transport.request('/ping', '', { method: 'GET' }, (headers) => {
        const v = headers['x-influxdb-version'];
        version = Array.isArray(v) ? v[0] : v;
      });
    } catch (e) {
      throw toInfluxError(e, 'InfluxDB /ping');
    }
    return { version };
  }
}
