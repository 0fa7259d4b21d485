/**
 * Operations-store plugin: opens the store (SQLite in dataDir, or PostgreSQL with `dbUrl`),
 * migrates it before anything listens, and closes it last at shutdown, after every plugin that
 * writes to it has stopped. Routes reach it as `app.ops`.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { openStore, type Store } from '../store/open.js';

declare module 'fastify' {
  interface FastifyInstance {
    ops: Store;
  }
}

/** Shutdown order of the store: after ingest (10), influx (20) and alerts (30). */
export const STORE_SHUTDOWN_ORDER = 90;

export default fp(
  async function opsStore(app: FastifyInstance) {
    const opts = app.serverOptions;
    const store = await openStore({ url: opts.dbUrl, dataDir: opts.dataDir });
    app.log.info({ engine: store.engine, location: store.location }, 'operations store open');
    app.decorate('ops', store);
    app.shutdown.add(STORE_SHUTDOWN_ORDER, 'operations store', () => store.close());
  },
  { name: 'yizhan-ops-store', dependencies: ['yizhan-core'] },
);
