/**
 * buildApp(): the fastify plugin tree of the yizhan server.
 *
 *   core     options, metrics, station registry, hierarchy, live state, ordered shutdown, errors
 *   ops      the operations store (accounts, sessions, alerts, audit): SQLite or PostgreSQL
 *   auth     who is asking (session cookie, API token), route access, CSRF
 *   influx   transport (1.x rewrite / v2), writer, InfluxQL client, setup with retry
 *   alerts   rule engine, webhook notifier
 *   work orders  store, sensor verification, SLA and response metrics; /api/v1/work-orders,
 *            /api/v1/reports
 *   notices  the union's notices for station screens: board with start/end timer; /api/v1/notices,
 *            /api/v1/public/stations/:id/notices
 *   rider reports  riders' reports (随手拍): store, abuse limits, work-order link, contact
 *            retention; /api/v1/rider-reports (staff); the public routes sit in riders
 *   ingest   MQTT subscription → checks → state, InfluxDB, alerts
 *   config   desired station configs and their broker connection (config API)
 *   routes   /healthz /readyz /metrics, /api/v1/*, SSE /api/v1/events, pages / and /screen/:id
 *   riders   public, no login: /api/v1/public/stations/nearby, /api/v1/public/townships,
 *            /api/v1/public/report-categories, /api/v1/public/reports
 *   auth     /api/v1/auth/*, /api/v1/users, /api/v1/tokens (routes/auth/)
 *   org      townships synced into the store, audit retention, fleet figures and gauges;
 *            /api/v1/townships, /api/v1/fleet, /api/v1/audit(.csv)
 *   web      the staff web app (web/dist) at /app/
 *   phone    the riders' phone page (web/dist/m) at /m/, public
 *
 * Nothing connects before `ready()`/`listen()`; `close()` stops MQTT, flushes InfluxDB, drains
 * webhooks (bounded by shutdownGraceMs) and ends SSE streams.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import core, { MAX_PARAM_LENGTH, frameworkErrors } from './plugins/core.js';
import opsStore from './plugins/ops-store.js';
import auth from './plugins/auth.js';
import influx from './plugins/influx.js';
import notify from './plugins/notify.js';
import alerts from './plugins/alerts.js';
import ingest from './plugins/ingest.js';
import planning from './plugins/planning.js';
import health from './routes/health.js';
import api from './routes/api.js';
import alertRoutes from './routes/alerts/routes.js';
import silenceRoutes from './routes/silences/routes.js';
import notificationRoutes from './routes/notifications/routes.js';
import notifyReloadRoute from './routes/notifications/reload.js';
import workOrders from './plugins/work-orders.js';
import workOrderRoutes from './routes/work-orders/routes.js';
import notices from './plugins/notices.js';
import riderReports from './plugins/rider-reports.js';
import riderReportRoutes from './routes/rider-reports/routes.js';
import noticeRoutes from './routes/notices/routes.js';
import events from './routes/events.js';
import pages from './routes/pages.js';
import riders from './routes/riders/index.js';
import web from './routes/web.js';
import phone from './routes/phone.js';
import configApi from './plugins/config-api.js';
import configRoutes from './routes/config.js';
import authRoutes from './routes/auth/index.js';
import org from './plugins/org.js';
import orgRoutes from './routes/org/index.js';
import planningAnalyticsRoutes from './routes/planning/analytics.js';
import planningCoverageRoutes from './routes/planning/coverage.js';
import planningMapRoutes from './routes/planning/map.js';
import { DEFAULT_BODY_LIMIT_BYTES, type ServerOptions } from './options.js';

export type { ServerOptions } from './options.js';

export async function buildApp(opts: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.loggerInstance
      ? { loggerInstance: opts.loggerInstance }
      : { logger: { level: opts.logLevel ?? 'info' } }),
    // SSE streams are ended in preClose; other keep-alive connections are closed when idle.
    forceCloseConnections: 'idle',
    // Behind a TLS proxy: req.ip and req.protocol from X-Forwarded-* of these hops only (Secure cookies).
    trustProxy: opts.trustProxy ?? false,
    // A request body larger than this is refused with 413 before it is read in full; a route
    // that needs more sets its own `bodyLimit`.
    bodyLimit: DEFAULT_BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
    // removeAdditional off: a field a schema does not know (`additionalProperties: false`) is a
    // 400 naming it, not silently dropped (a misspelt `disabled` would otherwise change nothing).
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Options travel as a decoration (app.serverOptions), not as register() options, whose
  // `logLevel`/`prefix` keys fastify would interpret.
  await app.register(core, { server: opts });
  await app.register(opsStore);
  await app.register(auth);
  await app.register(influx);
  await app.register(notify);
  await app.register(alerts);
  await app.register(ingest);
  await app.register(planning);
  await app.register(health);
  await app.register(api);
  await app.register(alertRoutes);
  await app.register(silenceRoutes);
  await app.register(notificationRoutes);
  await app.register(notifyReloadRoute);
  await app.register(workOrders);
  await app.register(workOrderRoutes);
  await app.register(notices);
  await app.register(noticeRoutes);
  await app.register(riderReports);
  await app.register(riderReportRoutes);
  await app.register(events);
  await app.register(pages);
  await app.register(riders);
  await app.register(web);
  await app.register(phone);
  await app.register(configApi);
  await app.register(configRoutes);
  await app.register(authRoutes);
  await app.register(org);
  await app.register(orgRoutes);
  await app.register(planningAnalyticsRoutes);
  await app.register(planningCoverageRoutes);
  await app.register(planningMapRoutes);
  return app;
}
