/**
 * Planning plugin: the ranking store (planning/daily-store.ts) and its sync from InfluxDB
 * (planning/daily-sync.ts), started on ready and stopped at shutdown order 35, before the store
 * (90) closes. Readiness never depends on the sync: until the store covers a range, the ranking
 * reads InfluxDB. Routes reach it as `app.rankingStore`.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_ROLLUP_RETENTION_MS, DEFAULT_ROLLUP_RP } from '../influx/rollups.js';
import { DEFAULT_TIMEZONE } from '../alerts/silences.js';
import { DailyStore } from '../planning/daily-store.js';
import { DailySync, DEFAULT_RANKING_STORE_RETENTION_MS } from '../planning/daily-sync.js';

declare module 'fastify' {
  interface FastifyInstance {
    rankingStore: { store: DailyStore; sync: DailySync };
  }
}

export const RANKING_SYNC_SHUTDOWN_ORDER = 35;

export default fp(
  function planning(app: FastifyInstance, _opts: unknown, done: (err?: Error) => void) {
    const o = app.serverOptions;
    const m = app.metrics;
    const timeZone = o.timeZone ?? DEFAULT_TIMEZONE;
    const store = new DailyStore(app.ops.db, timeZone, o.rankingSync?.retentionMs ?? DEFAULT_RANKING_STORE_RETENTION_MS);
    const sync = new DailySync({
      store,
      ql: app.influx.ql,
      rp: o.influx.rollups?.rp ?? DEFAULT_ROLLUP_RP,
      retentionMs: o.influx.rollups?.retentionMs ?? DEFAULT_ROLLUP_RETENTION_MS,
      timeZone,
      log: app.log.child({ component: 'ranking-store' }),
      ready: () => app.influx.setupDone,
      onSynced: (rows, state) => {
        m.rankingSyncRows.inc(rows);
        m.rankingSyncLastSuccess.set(state.updatedAt / 1000);
        m.rankingSyncedTo.set(state.syncedTo / 1000);
      },
      onError: () => m.rankingSyncErrors.inc(),
      onQuery: () => m.rankingSyncQueries.inc(),
      onPruned: (rows) => m.rankingPruned.inc(rows),
    });
    app.decorate('rankingStore', { store, sync });
    const enabled = o.rankingSync?.enabled !== false && o.influx.rollups?.enabled !== false;
    if (enabled)
      app.addHook('onReady', (hookDone) => {
        sync.start(o.rankingSync?.intervalMs);
        hookDone();
      });
    app.shutdown.add(RANKING_SYNC_SHUTDOWN_ORDER, 'ranking store sync', () => sync.stop());
    done();
  },
  { name: 'yizhan-planning', dependencies: ['yizhan-core', 'yizhan-ops-store', 'yizhan-influx'] },
);
