/**
 * InfluxDB plugin: transport (1.x rewrite or v2), batching writer, InfluxQL client, and the
 * database/retention-policy setup, retried in the background from onReady until it succeeds.
 * `app.influx.setupDone` feeds /readyz. The writer starts once setup is done (delivering first what
 * the spool kept from the previous run) and is flushed and closed at shutdown.
 */
import fp from 'fastify-plugin';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { setLogger } from '@influxdata/influxdb-client';
import { createTransport, bucketFor } from '../influx/transport.js';
import { InfluxWriter } from '../influx/writer.js';
import { InfluxQLClient } from '../influx/query.js';
import { setupWithRetry, type SetupOptions, type SetupOutcome } from '../influx/setup.js';
import { DEFAULT_ROLLUP_RETENTION_MS, DEFAULT_ROLLUP_RP } from '../influx/rollups.js';
import { DEFAULT_RETENTION_MS, type InfluxOptions } from '../options.js';
import type { Metrics } from '../metrics.js';
import { DeadLetterLog, type DeadLetterSink } from '../ingest/deadletter.js';
import { join } from 'node:path';

export interface InfluxService {
  writer: InfluxWriter;
  ql: InfluxQLClient;
  /** True once the database and retention policy exist (or setup was skipped on 2.x/3.x). */
  setupDone: boolean;
  setupOutcome: SetupOutcome | undefined;
  /** Samples of refused MQTT payloads and InfluxDB lines (`<dataDir>/dead-letter.ndjson`). */
  deadLetter: DeadLetterSink | undefined;
  /**
   * Resolves once the writer has delivered what it holds (at once when it holds nothing): at start,
   * the lines the previous run left in the spool, a SIGKILL's last fault clears among them. Never
   * rejects; while InfluxDB is unreachable it waits, so callers bound it.
   */
  delivered(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    influx: InfluxService;
  }
}

/** The dead-letter log in `dataDir`, counted in the metrics; its I/O errors logged. */
function deadLetterLog(dataDir: string, m: Metrics, log: FastifyBaseLogger): DeadLetterLog {
  return new DeadLetterLog({
    file: join(dataDir, 'dead-letter.ndjson'),
    onWritten: (source) => m.deadLetterWritten.inc({ source }),
    onSkipped: (why, err) => {
      m.deadLetterSkipped.inc({ why });
      if (err) log.error({ err: err.message }, 'dead-letter log not writable');
    },
  });
}

/** The database, retention policy and rollup policy setup creates, defaults filled in. */
function setupTarget(conn: InfluxOptions, timeZone: string | undefined): SetupOptions {
  return {
    api: conn.api,
    db: conn.db,
    rp: conn.rp,
    retentionMs: conn.retentionMs ?? DEFAULT_RETENTION_MS,
    rollup:
      conn.rollups?.enabled === false
        ? undefined
        : {
            rp: conn.rollups?.rp ?? DEFAULT_ROLLUP_RP,
            retentionMs: conn.rollups?.retentionMs ?? DEFAULT_ROLLUP_RETENTION_MS,
            ...(timeZone ? { timeZone } : {}),
          },
  };
}

export default fp(
  function influx(app: FastifyInstance, _opts: unknown, done: (err?: Error) => void) {
    const opts = app.serverOptions;
    const conn = opts.influx;
    const log = app.log.child({ component: 'influx' });
    // The client library logs to the console by default; the writer counts and logs failures itself.
    setLogger({
      error: (message: string) => log.debug({ lib: message }, 'influxdb-client'),
      warn: (message: string) => log.debug({ lib: message }, 'influxdb-client'),
    });
    const transport = createTransport(conn);
    const m = app.metrics;
    const deadLetter = opts.dataDir ? deadLetterLog(opts.dataDir, m, log) : undefined;
    const writer = new InfluxWriter(transport, conn.org ?? '', bucketFor(conn), m, log, {
      ...(opts.dataDir
        ? {
            spool: {
              dir: join(opts.dataDir, 'influx-spool'),
              maxBytes: conn.spoolMaxBytes,
              syncIntervalMs: conn.spoolSyncIntervalMs,
            },
          }
        : {}),
      deadLetter,
      ...conn.writer,
    });
    const ql = new InfluxQLClient(transport, { db: conn.db });
    let writerStarted: () => void = () => {};
    const started = new Promise<void>((r) => (writerStarted = r));
    const service: InfluxService = {
      writer,
      ql,
      setupDone: false,
      setupOutcome: undefined,
      deadLetter,
      delivered: () => (writer.undelivered ? started.then(() => writer.flush()) : Promise.resolve()),
    };
    app.decorate('influx', service);
    app.metrics.influxSetupDone.set(0);

    const abort = new AbortController();
    let setupRun: Promise<void> = Promise.resolve();
    app.addHook('onReady', (hookDone) => {
      setupRun = setupWithRetry(ql, setupTarget(conn, opts.timeZone), log, abort.signal, conn.setupBackoff).then(
        (outcome) => {
          service.setupDone = true;
          service.setupOutcome = outcome;
          writer.start();
          writerStarted();
          app.metrics.influxSetupDone.set(1);
        },
        () => {
          /* aborted at shutdown */
        },
      );
      hookDone();
    });
    app.shutdown.add(20, 'influx', async () => {
      abort.abort(new Error('shutting down'));
      await setupRun;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        writer.close(Math.floor(app.graceMs / 2)),
        new Promise<void>((r) => (timer = setTimeout(r, app.graceMs))),
      ]);
      clearTimeout(timer);
    });
    done();
  },
  { name: 'yizhan-influx', dependencies: ['yizhan-core'] },
);
