/**
 * Alerts plugin: the rule engine fed by ingest, the periodic tick for time-based rules, and the
 * alerts' record in the operations store (`app.alertRepo`, what the API reads). What the store
 * newly records is handed to the notifier (plugins/notify.ts) inside the same transaction; the
 * notifier decides silenced, suppressed and sent. Alert changes also re-announce the station (its
 * active alert count).
 *
 * At start the alerts the store holds as firing are adopted by the engine before the faults are
 * restored from InfluxDB, so a restart announces nothing twice and loses no acknowledgement. At
 * shutdown (order 30, before the notifier's outbox at 40 and the store at 90) the store's write
 * queue is drained.
 */
import fp from 'fastify-plugin';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { AlertEngine } from '../alerts/engine.js';
import { AlertRepository, plainAlert, type AlertNames } from '../alerts/repo.js';
import { LogThrottle } from '@yizhan/common/log-throttle';
import { defaultRules } from '../alerts/rules/index.js';
import { DEFAULT_ALERT_TICK_MS } from '../options.js';
import { restoreActiveFaults } from '../state/restore.js';
import { AlertThresholds, formatIssues, type ReloadResult } from '../alerts/thresholds.js';
import { watchFile } from '../util/watch-file.js';
import thresholdRoutes from '../routes/alerts/thresholds.js';

/** Longest wait for InfluxDB's active faults at start; MQTT ingest waits for it. */
const DEFAULT_FAULT_RESTORE_TIMEOUT_MS = 5_000;

declare module 'fastify' {
  interface FastifyInstance {
    alerts: AlertEngine;
    alertRepo: AlertRepository;
    /** alert-rules.yaml resolved per station (GET /api/v1/stations/:id/thresholds). */
    alertThresholds: AlertThresholds;
    /** Read alert-rules.yaml again (SIGHUP, file change, the API); a bad file keeps the previous thresholds. */
    reloadAlertRules(trigger: 'api' | 'signal' | 'watch'): ReloadResult;
  }
}

/** At most one log line per drop reason in this many ms (each drop is counted). */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * What the store newly records goes to the notifier, restored fires included: a fire the store
 * already holds (adopted at start) is not newly recorded, so it is not notified twice; one it never
 * got (the server killed after the fault was acknowledged, before the alert's batch committed) is
 * notified now, since its notification was to commit with it.
 */
function storeRepo(app: FastifyInstance, log: FastifyBaseLogger): AlertRepository {
  const names: AlertNames = {
    stationName: (id) => app.registry.get(id)?.config.name,
    townshipCode: (id) => app.hierarchy.townshipOf(id),
    townshipName: (code) => app.hierarchy.get(code)?.nameZh,
  };
  const dropLog = new LogThrottle(DROP_LOG_INTERVAL_MS);
  return new AlertRepository(app.ops.db, names, {
    onTransitions: (trx, t) => app.notifier.onTransitions(trx, t),
    afterTransitions: () => app.outbox.nudge(),
    onDepth: (n) => app.metrics.alertStoreQueue.set(n),
    onDrop: (reason, items, err) => {
      app.metrics.alertStoreDropped.inc({ reason }, items.length);
      const suppressed = dropLog.pass(reason);
      if (suppressed === undefined) return;
      log.error(
        {
          reason,
          dropped: items.length,
          suppressed,
          alerts: items.slice(0, 5).map((a) => a.id),
          err: err?.message,
        },
        `alert transitions not written to the operations store (${reason})`,
      );
    },
  });
}

/** The thresholds the engine starts with; the deprecated serial-link hold sits under the file's defaults. */
function alertThresholds(app: FastifyInstance, log: FastifyBaseLogger): AlertThresholds {
  const a = app.serverOptions.alerts ?? {};
  const hold = a.serialLinkDown?.hold;
  if (hold !== undefined)
    log.warn(
      { hold },
      'YIZHAN_ALERT_SERIAL_LINK_DOWN_HOLD is deprecated: write serial_link_down.for in alert-rules.yaml',
    );
  const townships = app.serverOptions.townships;
  return new AlertThresholds(
    {
      file: a.rulesFile?.file,
      ...(hold !== undefined ? { base: { serial_link_down: { for: hold } } } : {}),
      townshipOf: (id) => app.hierarchy.townshipOf(id),
      names: () => ({
        ...(townships ? { townshipCodes: townships.map((t) => t.code) } : {}),
        stationIds: app.registry.all().map((e) => e.config.id),
      }),
      registry: app.metrics.registry,
    },
    a.rulesFile?.rules ?? {},
  );
}

export default fp(
  function alerts(app: FastifyInstance, _opts: unknown, done: (err?: Error) => void) {
    const opts = app.serverOptions;
    const log = app.log.child({ component: 'alerts' });
    const a = opts.alerts ?? {};
    const thresholds = alertThresholds(app, log);
    const { hold: _deprecatedHold, ...serialLinkDown } = a.serialLinkDown ?? {};
    const engine = new AlertEngine(app.registry, a.rules ?? defaultRules({ serialLinkDown }), app.metrics, log, {
      ...(a.historySize !== undefined ? { historySize: a.historySize } : {}),
      thresholdsOf: (id) => thresholds.of(id),
      flapping: () => thresholds.flapping,
      outage: () => thresholds.outage,
      townshipOf: (id) => app.hierarchy.townshipOf(id),
    });
    app.decorate('alerts', engine);
    app.decorate('alertThresholds', thresholds);
    app.decorate('reloadAlertRules', (trigger: 'api' | 'signal' | 'watch') => {
      const r = thresholds.reload();
      if (r.ok) log.info({ file: r.file, trigger }, 'alert rules reloaded');
      else
        log.error(
          { file: thresholds.file, trigger, issues: r.issues.length },
          `alert rules not reloaded, the previous thresholds stay:\n${formatIssues(r.issues)}`,
        );
      return r;
    });
    const stopWatch = watchFile(thresholds.file, 'alert rules file', () => app.reloadAlertRules('watch'), log);
    const onHup = () => app.reloadAlertRules('signal');
    process.on('SIGHUP', onHup);
    const repo = storeRepo(app, log);
    app.decorate('alertRepo', repo);
    engine.on('record', (alert) => repo.record(alert));
    app.store.useAlertCount((id) => engine.activeCount(id));
    engine.on('alert', (alert) => app.store.touch(alert.stationId));
    // Before MQTT ingest starts (the ingest plugin's onReady runs after this one).
    app.addHook('onReady', async () => {
      const adopted = engine.adopt((await repo.firing()).map(plainAlert));
      log.info({ alerts: adopted }, 'firing alerts restored from the operations store');
      await restoreActiveFaults(
        {
          ql: app.influx.ql,
          registry: app.registry,
          store: app.store,
          restore: (id, obs) => engine.restore(id, obs),
          log,
          delivered: () => app.influx.delivered(),
        },
        DEFAULT_FAULT_RESTORE_TIMEOUT_MS,
      );
    });
    const tick = setInterval(() => engine.tick(Date.now()), a.tickIntervalMs ?? DEFAULT_ALERT_TICK_MS);
    tick.unref();
    app.shutdown.add(30, 'alerts', async () => {
      clearInterval(tick);
      stopWatch();
      process.off('SIGHUP', onHup);
      await repo.close(app.graceMs);
    });
    app.register(thresholdRoutes);
    done();
  },
  {
    name: 'yizhan-alerts',
    dependencies: ['yizhan-core', 'yizhan-ops-store', 'yizhan-influx', 'yizhan-notify'],
  },
);
