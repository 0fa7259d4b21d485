/**
 * InfluxDB plugin: transport (1.x rewrite or v2), batching writer, InfluxQL client, and the
 * database/retention-policy setup, retried in the background from onReady until it succeeds.
 * `app.influx.setupDone` feeds /readyz. The writer is flushed and closed at shutdown.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { setLogger } from '@influxdata/influxdb-client';
import { createTransport, bucketFor } from '../influx/transport.js';
import { InfluxWriter } from '../influx/writer.js';
import { InfluxQLClient } from '../influx/query.js';
import { setupWithRetry, type SetupOutcome } from '../influx/setup.js';
import { DEFAULT_RETENTION_MS } from '../options.js';

export interface InfluxService {
  writer: InfluxWriter;
  ql: InfluxQLClient;
  /** True once the database and retention policy exist (or setup was skipped on 2.x/3.x). */
  setupDone: boolean;
  setupOutcome: SetupOutcome | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    influx: InfluxService;
  }
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
    const writer = new InfluxWriter(
      transport,
      conn.org ?? '',
      bucketFor(conn),
      app.metrics,
      log,
      conn.writer,
    );
    const ql = new InfluxQLClient(transport, { db: conn.db });
    const service: InfluxService = { writer, ql, setupDone: false, setupOutcome: undefined };
    app.decorate('influx', service);
    app.metrics.influxSetupDone.set(0);

    const abort = new AbortController();
    let setupRun: Promise<void> = Promise.resolve();
    app.addHook('onReady', (hookDone) => {
      setupRun = setupWithRetry(
        ql,
        { api: conn.api, db: conn.db, rp: conn.rp, retentionMs: conn.retentionMs ?? DEFAULT_RETENTION_MS },
        log,
        abort.signal,
        conn.setupBackoff,
      ).then(
        (outcome) => {
          service.setupDone = true;
          service.setupOutcome = outcome;
          writer.start();
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
      await Promise.race([writer.close(), new Promise<void>((r) => (timer = setTimeout(r, app.graceMs)))]);
      clearTimeout(timer);
    });
    done();
  },
  { name: 'yizhan-influx', dependencies: ['yizhan-core'] },
);
