/**
 * InfluxDB parts against a real influxd 1.x: database + retention policy setup (idempotent, alters
 * a policy with other settings, waits for a late InfluxDB), the writer (exact values back through
 * InfluxQL) and its drop accounting when InfluxDB refuses or is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createServer, request as httpRequest } from 'node:http';
import { setLogger } from '@influxdata/influxdb-client';
import { freePort } from '../../../scripts/lib/ports.js';
import { createTransport, type InfluxConnection } from '../../../server/src/influx/transport.js';
import { InfluxQLClient } from '../../../server/src/influx/query.js';
import { setupOnce, setupWithRetry } from '../../../server/src/influx/setup.js';
import { InfluxWriter, type DropReason } from '../../../server/src/influx/writer.js';
import { readingPoint, statusPoint } from '../../../server/src/influx/points.js';
import { createMetrics } from '../../../server/src/metrics.js';
import type { DeadLetterEntry } from '../../../server/src/ingest/deadletter.js';
import { metric, startTestInflux, type TestInflux } from '../helpers.js';

const log = pino({ level: 'silent' });
const THIRTY_DAYS = 30 * 86_400_000;
/** Recent (inside the 30d retention), whole seconds. */
const T0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
// The client library logs retries to the console; the writer counts and logs them itself.
setLogger({ error: () => {}, warn: () => {} });

describe('influx against influxd 1.x', () => {
  let influx: TestInflux;
  let conn: InfluxConnection;
  let ql: InfluxQLClient;

  beforeAll(async () => {
    influx = await startTestInflux();
    conn = { url: influx.url, api: 'v1', db: 'yizhan', rp: 'raw' };
    ql = new InfluxQLClient(createTransport(conn), { db: 'yizhan' });
  });
  afterAll(async () => {
    await influx?.cleanup();
  });

  it('setup creates the database and a default 30d policy "raw", and is idempotent', async () => {
    const opts = { api: 'v1' as const, db: 'yizhan', rp: 'raw', retentionMs: THIRTY_DAYS };
    expect((await setupOnce(ql, opts, log)).done).toBe('created');
    expect((await setupOnce(ql, opts, log)).done).toBe('created');
    const dbs = await ql.rows('SHOW DATABASES');
    expect(dbs.map((r) => r.name)).toContain('yizhan');
    const rps = await ql.rows('SHOW RETENTION POLICIES ON "yizhan"');
    expect(rps.find((r) => r.name === 'raw')).toMatchObject({ duration: '720h0m0s', default: true });
  });

  it('setup alters a policy of that name that has other settings', async () => {
    await ql.query('CREATE DATABASE "other"');
    await ql.query('CREATE RETENTION POLICY "raw" ON "other" DURATION 2d REPLICATION 1');
    await setupOnce(ql, { api: 'v1', db: 'other', rp: 'raw', retentionMs: THIRTY_DAYS }, log);
    const rps = await ql.rows('SHOW RETENTION POLICIES ON "other"');
    expect(rps.find((r) => r.name === 'raw')).toMatchObject({ duration: '720h0m0s', default: true });
  });

  it('setup is skipped for api v2 (buckets are managed in InfluxDB 2.x/3.x)', async () => {
    const out = await setupOnce(ql, { api: 'v2', db: 'nope', rp: 'raw', retentionMs: THIRTY_DAYS }, log);
    expect(out.done).toBe('skipped');
    expect((await ql.rows('SHOW DATABASES')).map((r) => r.name)).not.toContain('nope');
  });

  it('writer: points land with exact values and timestamps; written points are counted', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const w = new InfluxWriter(createTransport(conn), '', 'yizhan/raw', metrics, log, {
      flushIntervalMs: 50,
    });
    w.start();
    const st = { id: 'st-001', township: '城关镇' };
    w.write([
      readingPoint(st, 'water-temp', 'water_temp', 61.5, T0),
      readingPoint(st, 'water-temp', 'water_temp', 62.25, T0 + 1000),
      statusPoint(st, true, T0 + 500),
    ]);
    await w.close();
    const rows = await ql.rows(`SELECT value FROM water_temp WHERE station='st-001'`, { epoch: 'ms' });
    expect(rows).toEqual([
      { time: T0, value: 61.5 },
      { time: T0 + 1000, value: 62.25 },
    ]);
    const tagged = await ql.rows(`SELECT * FROM station_status`, { epoch: 'ms' });
    expect(tagged).toEqual([{ time: T0 + 500, online: 1, station: 'st-001', township: '城关镇' }]);
    const text = await metrics.registry.metrics();
    expect(metric(text, 'yizhan_influx_points_written_total')).toBe(3);
    // Latency split: one write call (one message) sampled for the upstream age, which is about an
    // hour and a bit here (T0 is an hour ago, rounded down); every request answered, none left in flight.
    expect(metric(text, 'yizhan_influx_enqueue_age_seconds_count')).toBe(1);
    expect(metric(text, 'yizhan_influx_enqueue_age_seconds_bucket', { le: '300' })).toBe(0);
    expect(metric(text, 'yizhan_influx_enqueue_age_seconds_bucket', { le: '3600' })).toBe(0);
    expect(metric(text, 'yizhan_influx_enqueue_age_seconds_bucket', { le: '+Inf' })).toBe(1);
    expect(
      metric(text, 'yizhan_influx_write_duration_seconds_count', { outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'yizhan_influx_writes_in_flight')).toBe(0);
  });

  it('writer: a line InfluxDB refuses (field type conflict) is dropped as rejected and dead-lettered; the good lines beside it land', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const dropped: { lines: readonly string[]; reason: DropReason }[] = [];
    const dead: DeadLetterEntry[] = [];
    const w = new InfluxWriter(createTransport(conn), '', 'yizhan/raw', metrics, log, {
      flushIntervalMs: 50,
      onDropped: (_n, reason, lines) => dropped.push({ lines: lines ?? [], reason }),
      deadLetter: { add: (e) => dead.push(e) },
    });
    w.start();
    const st = { id: 'st-002', township: 't' };
    w.write([readingPoint(st, 'door', 'door', 1, T0)]);
    await w.flush();
    // An integer field where a float exists: 1.x refuses this line (partial write), not the others.
    const bad = `door,sensor=door,station=st-002 value=7i ${T0 + 2}`;
    w.write([readingPoint(st, 'door', 'door', 0, T0 + 1), bad, readingPoint(st, 'door', 'door', 1, T0 + 3)]);
    await w.close();
    const rows = await ql.rows(`SELECT value FROM door WHERE station='st-002'`, { epoch: 'ms' });
    expect(rows).toEqual([
      { time: T0, value: 1 },
      { time: T0 + 1, value: 0 },
      { time: T0 + 3, value: 1 },
    ]);
    expect(dropped).toEqual([
      { lines: [`door,sensor=door,station=st-002 value=7i ${T0 + 2}`], reason: 'rejected' },
    ]);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ source: 'influx', reason: 'influx_refused', topic: 'door' });
    expect(dead[0]?.detail).toMatch(/field type conflict/);
    const text = await metrics.registry.metrics();
    expect(metric(text, 'yizhan_influx_points_dropped_total', { reason: 'rejected' })).toBe(1);
    expect(metric(text, 'yizhan_influx_points_written_total')).toBe(3);
  });

  it('writer under a backlog: requests grow up to maxBatchSize while InfluxDB is slow, every line lands once', async () => {
    // A real HTTP hop in front of influxd that records each write's line count and holds the
    // first write 300 ms, so lines pile up behind the single request slot.
    const sizes: number[] = [];
    const hop = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.url?.startsWith('/write')) sizes.push(body.toString().split('\n').length);
        const forward = () => {
          const up = httpRequest(
            `${influx.url}${req.url ?? '/'}`,
            { method: req.method, headers: req.headers },
            (r) => {
              res.writeHead(r.statusCode ?? 502, r.headers);
              r.pipe(res);
            },
          );
          up.end(body);
        };
        if (sizes.length === 1) setTimeout(forward, 300);
        else forward();
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => hop.listen(port, '127.0.0.1', r));
    try {
      const metrics = createMetrics({ defaultMetrics: false });
      const via: InfluxConnection = { ...conn, url: `http://127.0.0.1:${port}` };
      const w = new InfluxWriter(createTransport(via), '', 'yizhan/raw', metrics, log, {
        batchSize: 100,
        maxBatchSize: 1000,
        maxInFlight: 1,
        flushIntervalMs: 50,
      });
      w.start();
      const st = { id: 'st-010', township: 't' };
      for (let i = 0; i < 3000; i++) w.write([readingPoint(st, 'occupancy', 'occupancy', i % 7, T0 + i)]);
      await w.close();
      expect(sizes[0]).toBe(100);
      expect(Math.max(...sizes)).toBe(1000);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(3000);
      expect(sizes.length).toBeLessThan(3000 / 100);
      const rows = await ql.rows(`SELECT count(value) FROM occupancy WHERE station='st-010'`);
      expect(rows[0]?.count).toBe(3000);
      expect(metric(await metrics.registry.metrics(), 'yizhan_influx_points_written_total')).toBe(3000);
    } finally {
      hop.close();
    }
  });

  it('writer without a spool: lines wait in memory while InfluxDB is down, the oldest beyond the bound are counted, the rest counted at shutdown', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const dead = { ...conn, url: `http://127.0.0.1:${await freePort()}` };
    const reasons = new Map<DropReason, number>();
    const w = new InfluxWriter(createTransport(dead), '', 'yizhan/raw', metrics, log, {
      batchSize: 10,
      flushIntervalMs: 10,
      minRetryDelayMs: 20,
      maxBufferLines: 100,
      onDropped: (n, r) => reasons.set(r, (reasons.get(r) ?? 0) + n),
    });
    w.start();
    for (let i = 0; i < 150; i++)
      w.write([readingPoint({ id: 'st-003', township: 't' }, 'door', 'door', i, T0 + i)]);
    await expect.poll(() => w.influxDown, { timeout: 5000, interval: 20 }).toBe(true);
    expect(w.memoryLines).toBeLessThanOrEqual(100);
    await w.close();
    // Nothing vanished: all 150 were counted, 50 over the bound, 100 at shutdown.
    expect(reasons.get('buffer_full')).toBe(50);
    expect(reasons.get('shutdown')).toBe(100);
    const text = await metrics.registry.metrics();
    expect(metric(text, 'yizhan_influx_points_dropped_total', { reason: 'buffer_full' })).toBe(50);
    expect(metric(text, 'yizhan_influx_write_errors_total', { retriable: 'true' })).toBeGreaterThanOrEqual(1);
  });
});

describe('influx setup with a late InfluxDB', () => {
  /** setupWithRetry of database `db` at 127.0.0.1:`port`, where nothing answers yet, until aborted. */
  function setupLate(port: number, db: string, backoff: { minMs: number; maxMs?: number }) {
    const conn: InfluxConnection = { url: `http://127.0.0.1:${port}`, api: 'v1', db, rp: 'raw' };
    const ql = new InfluxQLClient(createTransport(conn), { db });
    const abort = new AbortController();
    const run = setupWithRetry(
      ql,
      { api: 'v1', db, rp: 'raw', retentionMs: THIRTY_DAYS },
      log,
      abort.signal,
      backoff,
    );
    return { ql, abort, run };
  }

  it('retries with backoff until influxd answers, then creates the database', async () => {
    const port = await freePort();
    const { ql, abort, run } = setupLate(port, 'late', { minMs: 50, maxMs: 200 });
    await new Promise((r) => setTimeout(r, 400));
    const influx = await startTestInflux(port);
    try {
      const out = await run;
      expect(out.done).toBe('created');
      expect((await ql.rows('SHOW DATABASES')).map((r) => r.name)).toContain('late');
    } finally {
      abort.abort();
      await influx.cleanup();
    }
  });

  it('stops when aborted (shutdown before InfluxDB ever answered)', async () => {
    const { abort, run } = setupLate(await freePort(), 'x', { minMs: 20 });
    setTimeout(() => abort.abort(new Error('stop')), 100);
    await expect(run).rejects.toThrow('stop');
  });
});
