/**
 * Organisation plugin: the township definitions synced into the operations store at start (so
 * reports can join on them), the audit retention (written for the append-only triggers, applied
 * once at start and then daily), and the fleet figures (`app.fleet`) with their Prometheus gauges.
 */
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { fleetCounts, DEFAULT_DARK_AFTER_MS, type Counts, type TownshipCounts } from '../org/fleet.js';
import { registerFleetGauges } from '../org/fleet-metrics.js';
import {
  applyAuditRetention,
  setAuditRetention,
  AUDIT_RETENTION_INTERVAL_MS,
  DEFAULT_AUDIT_RETENTION_MS,
} from '../org/audit-retention.js';
import type { TownshipInfo } from '../org/hierarchy.js';

export interface Fleet {
  /** Counts of the given townships and their sum. */
  counts(townships: readonly TownshipInfo[], now?: number): { total: Counts; townships: TownshipCounts[] };
}

declare module 'fastify' {
  interface FastifyInstance {
    fleet: Fleet;
  }
}

/** Upsert every township of the hierarchy into the store's `townships` table. */
export async function syncTownships(app: FastifyInstance): Promise<void> {
  const rows = app.hierarchy.list().map((t) => ({ code: t.code, name_zh: t.nameZh, name_en: t.nameEn }));
  if (rows.length === 0) return;
  await app.ops.db
    .insertInto('townships')
    .values(rows)
    .onConflict((oc) =>
      oc
        .column('code')
        .doUpdateSet((eb) => ({ name_zh: eb.ref('excluded.name_zh'), name_en: eb.ref('excluded.name_en') })),
    )
    .execute();
}

function startRetention(app: FastifyInstance): void {
  const retentionMs = app.serverOptions.auditRetentionMs ?? DEFAULT_AUDIT_RETENTION_MS;
  const deleted = new Counter({
    name: 'yizhan_audit_retention_deleted_total',
    help: 'Audit log entries deleted because they were older than YIZHAN_AUDIT_RETENTION',
    registers: [app.metrics.registry],
  });
  const run = async () => {
    try {
      const n = await applyAuditRetention(app.ops.db, retentionMs);
      deleted.inc(n);
      app.log.info({ deleted: n, retentionMs }, 'audit retention applied');
    } catch (e) {
      app.metrics.storeErrors.inc({ what: 'audit_retention' });
      app.log.error({ err: (e as Error).message }, 'audit retention failed; retried tomorrow');
    }
  };
  app.addHook('onReady', async () => {
    await setAuditRetention(app.ops.db, retentionMs);
    await run();
  });
  const timer = setInterval(() => void run(), AUDIT_RETENTION_INTERVAL_MS);
  timer.unref();
  app.shutdown.add(5, 'audit retention', () => {
    clearInterval(timer);
    return Promise.resolve();
  });
}

export default fp(
  async function org(app: FastifyInstance) {
    await syncTownships(app);
    startRetention(app);
    const darkAfterMs = app.serverOptions.fleet?.darkAfterMs ?? DEFAULT_DARK_AFTER_MS;
    const fleet: Fleet = {
      counts: (townships, now = Date.now()) =>
        fleetCounts({
          townships,
          facts: (id) => app.store.fleetFacts(id),
          desiredVersion: (id) => app.desiredConfigs.get(id)?.version,
          firing: app.alerts.list('firing'),
          now,
          darkAfterMs,
        }),
    };
    app.decorate('fleet', fleet);
    registerFleetGauges(
      app.metrics.registry,
      () => fleet.counts(app.hierarchy.list()).townships,
      () => {
        // A scrape opens the config API's broker connection once; the series appear when it is in.
        if (!app.desiredConfigs.ready) void app.desiredConfigs.open();
        return app.desiredConfigs.ready;
      },
    );
  },
  {
    name: 'yizhan-org',
    dependencies: ['yizhan-core', 'yizhan-ops-store', 'yizhan-alerts', 'yizhan-config-api'],
  },
);
