/**
 * Alerts plugin: the rule engine fed by ingest, the webhook notifier, and the periodic tick for
 * time-based rules. Alert changes also re-announce the station (its active alert count).
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { AlertEngine } from '../alerts/engine.js';
import { WebhookNotifier } from '../alerts/webhook.js';
import { defaultRules } from '../alerts/rules/index.js';
import { DEFAULT_ALERT_TICK_MS } from '../options.js';
import { restoreActiveFaults } from '../state/restore.js';

/** Longest wait for InfluxDB's active faults at start; MQTT ingest waits for it. */
const DEFAULT_FAULT_RESTORE_TIMEOUT_MS = 5_000;

declare module 'fastify' {
  interface FastifyInstance {
    alerts: AlertEngine;
  }
}

export default fp(
  function alerts(app: FastifyInstance, _opts: unknown, done: (err?: Error) => void) {
    const opts = app.serverOptions;
    const log = app.log.child({ component: 'alerts' });
    const a = opts.alerts ?? {};
    const engine = new AlertEngine(
      app.registry,
      a.rules ?? defaultRules({ serialLinkDown: a.serialLinkDown }),
      app.metrics,
      log,
      {
        ...(a.historySize !== undefined ? { historySize: a.historySize } : {}),
      },
    );
    app.decorate('alerts', engine);
    app.store.useAlertCount((id) => engine.activeCount(id));
    const webhook = a.webhook ? new WebhookNotifier(a.webhook, app.metrics, log) : undefined;
    if (!webhook) log.info('no alert webhook configured (YIZHAN_ALERT_WEBHOOK_URL); alerts only in the API');
    engine.on('alert', (alert) => {
      webhook?.enqueue(alert);
      app.store.touch(alert.stationId);
    });
    // Before MQTT ingest starts (the ingest plugin's onReady runs after this one).
    app.addHook('onReady', async () => {
      await restoreActiveFaults(
        {
          ql: app.influx.ql,
          registry: app.registry,
          store: app.store,
          restore: (id, obs) => engine.restore(id, obs),
          log,
        },
        DEFAULT_FAULT_RESTORE_TIMEOUT_MS,
      );
    });
    const tick = setInterval(() => engine.tick(Date.now()), a.tickIntervalMs ?? DEFAULT_ALERT_TICK_MS);
    tick.unref();
    app.shutdown.add(30, 'alerts', async () => {
      clearInterval(tick);
      await webhook?.close(app.graceMs);
    });
    done();
  },
  { name: 'yizhan-alerts', dependencies: ['yizhan-core', 'yizhan-influx'] },
);
