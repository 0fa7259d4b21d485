/**
 * Work-orders plugin: the work orders' store access (`app.workOrders.repo`), the sensor verifier fed
 * by the alert engine's records, and the response metrics (ack/resolve histograms, work orders by
 * state, SLA breaches). Every `checkIntervalMs` (default 5 s) waiting verifications are checked
 * against station time, the state gauge is refilled from the store and new SLA breaches counted.
 * `change` events carry each changed work order to the SSE stream (routes/events.ts).
 */
import { EventEmitter } from 'node:events';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { WorkOrderRepo } from '../workorders/repo.js';
import { Verifier, DEFAULT_VERIFY_HOLD_MS, DEFAULT_VERIFY_TIMEOUT_MS } from '../workorders/verifier.js';
import {
  countSlaBreaches,
  createResponseMetrics,
  refreshWorkOrderGauge,
  type ResponseMetrics,
} from '../workorders/metrics.js';
import type { WorkOrderOptions } from '../workorders/sla.js';
import type { WorkOrder } from '../routes/work-orders/schemas.js';

const DEFAULT_CHECK_INTERVAL_MS = 5_000;

export interface WorkOrders {
  repo: WorkOrderRepo;
  verifier: Verifier;
  metrics: ResponseMetrics;
  options: WorkOrderOptions;
  /** `change`: a work order after a committed change (routes and the verifier). */
  events: EventEmitter<{ change: [WorkOrder] }>;
  /** One periodic pass now: verifications, the state gauge, SLA breaches (tests call it). */
  sweep(now?: number): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    workOrders: WorkOrders;
  }
}

export default fp(
  function workOrders(app: FastifyInstance, _opts: unknown, done: (err?: Error) => void) {
    const log = app.log.child({ component: 'work-orders' });
    const options = app.serverOptions.workOrders ?? {};
    const repo = new WorkOrderRepo(app.ops.db, {
      stationName: (id) => app.registry.get(id)?.config.name,
      townshipName: (code) => app.hierarchy.get(code)?.nameZh,
    });
    const events = new EventEmitter<{ change: [WorkOrder] }>();
    events.setMaxListeners(0);
    const metrics = createResponseMetrics(app.metrics.registry);
    const onError = (err: unknown): void => {
      app.metrics.storeErrors.inc({ what: 'work_orders' });
      log.error({ err }, 'work order verification not written; it is checked again at the next pass');
    };
    const verifier = new Verifier({
      repo,
      stationTime: (id) => app.store.live(id)?.lastSeen ?? undefined,
      firing: (f) => app.alerts.list('firing').find((a) => a.fingerprint === f),
      holdMs: options.verifyHoldMs ?? DEFAULT_VERIFY_HOLD_MS,
      timeoutMs: options.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS,
      onChange: (wo, kind) => {
        log.info({ workOrder: wo.id, kind }, `work order ${kind}`);
        events.emit('change', wo);
      },
      onError,
    });
    app.alerts.on('record', (alert) => void verifier.record(alert));
    app.alerts.on('alert', (alert) => {
      if (alert.status !== 'resolved' || alert.endsAt === null) return;
      const township = app.hierarchy.townshipOf(alert.stationId) ?? alert.township;
      metrics.resolveSeconds.observe(
        { township, rule: alert.rule },
        Math.max(0, Date.parse(alert.endsAt) - Date.parse(alert.startsAt)) / 1000,
      );
    });
    const sweep = async (now = Date.now()): Promise<void> => {
      await verifier.tick();
      try {
        await countSlaBreaches(app.ops.db, metrics, now);
        await refreshWorkOrderGauge(app.ops.db, metrics);
      } catch (err) {
        onError(err);
      }
    };
    app.decorate('workOrders', { repo, verifier, metrics, options, events, sweep });
    let timer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      await sweep();
      timer = setInterval(() => void sweep(), options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS);
      timer.unref();
    });
    app.shutdown.add(25, 'work-orders', async () => {
      clearInterval(timer);
      await verifier.idle();
    });
    done();
  },
  { name: 'yizhan-work-orders', dependencies: ['yizhan-core', 'yizhan-ops-store', 'yizhan-alerts'] },
);
