/**
 * The alerts part of the server on its own, for unit tests with app.inject: core, the operations
 * store (SQLite in `dataDir`, in memory without), auth, the alerts plugin and the alerts routes.
 * InfluxDB is a stand-in whose only answer is the active faults given (what a restart restores).
 * Stations: st-001 in 城关镇 (chengguan), st-002 in 新塘镇 (xintang).
 */
import notifyReloadRoute from '../../../server/src/routes/notifications/reload.js';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import pino from 'pino';
import core from '../../../server/src/plugins/core.js';
import opsStore from '../../../server/src/plugins/ops-store.js';
import auth from '../../../server/src/plugins/auth.js';
import notify from '../../../server/src/plugins/notify.js';
import alerts from '../../../server/src/plugins/alerts.js';
import alertRoutes from '../../../server/src/routes/alerts/routes.js';
import type { AlertRule } from '../../../server/src/alerts/types.js';
import type { ServerOptions } from '../../../server/src/options.js';
import { twoTownships } from '../auth-helpers.js';

export interface ActiveFault {
  station: string;
  sensor: string;
  fault: string;
  since: number;
}

/** A stand-in for the influx plugin: a query client answering the active-faults query only, nothing to deliver. */
function fakeInflux(active: readonly ActiveFault[]) {
  return fp(
    (app: FastifyInstance, _o: unknown, done: (err?: Error) => void) => {
      const series = active.map((f) => ({
        name: 'fault',
        tags: { station: f.station, sensor: f.sensor, fault: f.fault },
        columns: ['time', 'active'],
        values: [[f.since, 1]],
      }));
      app.decorate('influx', {
        ql: { query: () => Promise.resolve([{ series }]) },
        delivered: () => Promise.resolve(),
      } as never);
      done();
    },
    { name: 'yizhan-influx', dependencies: ['yizhan-core'] },
  );
}

/** Fires on an active heater_failure fault, resolves when it clears: a rule a test can drive. */
export const heaterRule: AlertRule = {
  name: 'heater_test',
  observe(ctx, o) {
    if (o.type !== 'fault' || o.fault !== 'heater_failure') return;
    if (o.active)
      ctx.fire({
        severity: 'critical',
        message: { 'zh-CN': '热水器故障', en: 'heater failure' },
        evidence: { sensor: o.sensor },
        at: o.ts,
      });
    else ctx.resolve(o.ts, { 'zh-CN': '热水器恢复', en: 'heater back' });
  },
};

export async function alertsApp(
  o: {
    dataDir?: string;
    /** PostgreSQL store (testEngines); SQLite without. */
    dbUrl?: string;
    activeFaults?: readonly ActiveFault[];
    alerts?: ServerOptions['alerts'];
    notify?: ServerOptions['notify'];
    logger?: FastifyBaseLogger;
  } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    // As buildApp: query strings are coerced, defaults applied.
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: true, useDefaults: true } },
  }) as unknown as FastifyInstance;
  await app.register(core, {
    server: twoTownships({
      alerts: { rules: [heaterRule], ...o.alerts },
      // Poll the outbox often: tests wait on deliveries.
      notify: { ...o.notify, outbox: { pollMs: 50, ...o.notify?.outbox } },
      ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
      ...(o.dbUrl !== undefined ? { dbUrl: o.dbUrl } : {}),
      shutdownGraceMs: 2000,
    }),
  });
  await app.register(opsStore);
  await app.register(auth);
  await app.register(fakeInflux(o.activeFaults ?? []));
  await app.register(notify);
  await app.register(alerts);
  await app.register(alertRoutes);
  await app.register(notifyReloadRoute);
  await app.ready();
  return app;
}
