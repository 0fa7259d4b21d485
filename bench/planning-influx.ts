/**
 * What the planning benches (bench:planning, bench:ranking-store --influx) share to start and fill
 * InfluxDB and to time a query: a throw-away influxd (scripts/lib/influxd.ts) with the server's
 * database, raw policy (the default) and rollup policy made as the server makes them, a batched
 * line-protocol writer, and the median of timed runs.
 */
import { startInfluxd, type InfluxdHandle } from '../scripts/lib/influxd.js';
import { DEFAULT_INFLUX_CONNECTION } from '../server/src/influx/transport.js';
import { DEFAULT_ROLLUP_RETENTION_MS, DEFAULT_ROLLUP_RP } from '../server/src/influx/rollups.js';
import { influxDuration } from '../server/src/influx/setup.js';
import { quoteIdent } from '../server/src/influx/query.js';
import { DEFAULT_RETENTION_MS } from '../server/src/options.js';
import { median } from './planning-lib.js';

export interface BenchInflux {
  handle: InfluxdHandle;
  url: string;
  db: string;
  rawRp: string;
  rollupRp: string;
}

/**
 * influxd in `dir` with the server's database and policies; `rollupShard` (an InfluxQL duration,
 * e.g. 52w) sets the rollup policy's shard group duration, else InfluxDB's default as the server
 * creates it (7 days for a 730-day policy).
 */
export async function startBenchInflux(dir: string, rollupShard?: string): Promise<BenchInflux> {
  if (rollupShard !== undefined && !/^\d+[hdw]$/.test(rollupShard))
    throw new Error(`--rollup-shard: "${rollupShard}" is not a duration like 52w, 365d or 720h`);
  const handle = await startInfluxd({ dir });
  const out = {
    handle,
    url: handle.url,
    db: DEFAULT_INFLUX_CONNECTION.db,
    rawRp: DEFAULT_INFLUX_CONNECTION.rp,
    rollupRp: DEFAULT_ROLLUP_RP,
  };
  const db = quoteIdent(out.db);
  const q = [
    `CREATE DATABASE ${db}`,
    `CREATE RETENTION POLICY ${quoteIdent(out.rawRp)} ON ${db} DURATION ${influxDuration(DEFAULT_RETENTION_MS)} REPLICATION 1 DEFAULT`,
    `CREATE RETENTION POLICY ${quoteIdent(out.rollupRp)} ON ${db} DURATION ${influxDuration(DEFAULT_ROLLUP_RETENTION_MS)} REPLICATION 1${rollupShard ? ` SHARD DURATION ${rollupShard}` : ''}`,
  ].join(';');
  try {
    const r = await fetch(`${handle.url}/query`, { method: 'POST', body: new URLSearchParams({ q }) });
    const text = await r.text();
    if (r.status !== 200 || text.includes('"error"'))
      throw new Error(`influxd setup answered ${r.status}: ${text}`);
  } catch (e) {
    await handle.stop();
    throw e;
  }
  return out;
}

export interface WriterOptions {
  url: string;
  db: string;
  rp: string;
  /** Lines per request. */
  batch?: number;
  /** Requests in flight. */
  inFlight?: number;
}

/** Line protocol to /write in batches, `inFlight` requests at a time; precision seconds. */
export class LineWriter {
  lines = 0;
  private buf: string[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly batch: number;
  private readonly inFlight: number;

  constructor(private readonly o: WriterOptions) {
    this.batch = o.batch ?? 5000;
    this.inFlight = o.inFlight ?? 4;
  }

  push(l: string): void {
    this.buf.push(l);
  }

  /** Send the buffer once it holds a batch (waits while `inFlight` requests are out). */
  async ready(): Promise<void> {
    if (this.buf.length >= this.batch) await this.send();
  }

  async close(): Promise<void> {
    if (this.buf.length) await this.send();
    await Promise.all(this.pending);
  }

  private async send(): Promise<void> {
    while (this.pending.size >= this.inFlight) await Promise.race(this.pending);
    const body = this.buf.join('\n');
    const n = this.buf.length;
    this.buf = [];
    const q = new URLSearchParams({ db: this.o.db, rp: this.o.rp, precision: 's' });
    const p = fetch(`${this.o.url}/write?${q}`, { method: 'POST', body }).then(async (r) => {
      if (r.status !== 204)
        throw new Error(
          `influxd /write (rp ${this.o.rp}) answered ${r.status}: ${(await r.text()).slice(0, 300)}`,
        );
      this.lines += n;
    });
    this.pending.add(p);
    // A failed write rejects here and again at the next race/close, which rethrows it.
    p.then(
      () => this.pending.delete(p),
      () => undefined,
    );
  }
}

/** The median of `times` timed runs of `run`, ms (rounded to 0.1 ms). */
export async function medianMs(run: () => Promise<unknown>, times = 3): Promise<number> {
  const ms: number[] = [];
  for (let k = 0; k < times; k++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}
