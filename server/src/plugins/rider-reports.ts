/**
 * Rider-reports plugin: the reports' store access (`app.riderReports.repo`), the abuse limits of
 * the public routes (per device and per address, in memory like the riders' per-address limit),
 * the link to work orders (a station problem's report follows its order: `change` events of the
 * work-orders plugin) and the hourly contact retention (reports/retention.ts).
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { RateLimiter } from '../auth/rate-limit.js';
import { ReportRepo } from '../reports/repo.js';
import { followOrder } from '../reports/follow.js';
import { DAY_MS, applyContactRetention } from '../reports/retention.js';
import {
  DEFAULT_RECEIPT_MISSES_PER_ADDRESS_HOUR,
  DEFAULT_REPORTS_PER_ADDRESS_HOUR,
  DEFAULT_REPORTS_PER_DEVICE_DAY,
  DEFAULT_REPORTS_PER_DEVICE_HOUR,
  DEFAULT_REPORT_CONTACT_RETENTION_DAYS,
  REPORT_LIMIT_KEYS,
  REPORT_RETENTION_INTERVAL_MS,
} from '../reports/limits.js';

const HOUR_MS = 3_600_000;

export interface ReportLimits {
  perDeviceHour: number;
  perDeviceDay: number;
  perAddressHour: number;
  receiptMissesPerAddressHour: number;
}

export interface RiderReports {
  repo: ReportRepo;
  limits: ReportLimits;
  limiters: {
    deviceHour: RateLimiter;
    deviceDay: RateLimiter;
    address: RateLimiter;
    misses: RateLimiter;
  };
  retentionMs: number;
  /** Bring the reports linked to a work order in line with its state. */
  follow(order: { id: number; state: string }, at?: number): Promise<void>;
  /** One retention pass now (tests pass a fake clock); returns how many contacts were deleted. */
  retention(now?: number): Promise<number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    riderReports: RiderReports;
  }
}

function limiters(l: ReportLimits): RiderReports['limiters'] {
  const bucket = (capacity: number, perMs: number) =>
    new RateLimiter({ capacity, perMs, maxKeys: REPORT_LIMIT_KEYS });
  return {
    deviceHour: bucket(l.perDeviceHour, HOUR_MS),
    deviceDay: bucket(l.perDeviceDay, DAY_MS),
    address: bucket(l.perAddressHour, HOUR_MS),
    misses: bucket(l.receiptMissesPerAddressHour, HOUR_MS),
  };
}

export default fp(
  function riderReports(app: FastifyInstance, _opts: unknown, done: (err?: Error) => void) {
    const log = app.log.child({ component: 'rider-reports' });
    const o = app.serverOptions.reports ?? {};
    const limits: ReportLimits = {
      perDeviceHour: o.perDeviceHour ?? DEFAULT_REPORTS_PER_DEVICE_HOUR,
      perDeviceDay: o.perDeviceDay ?? DEFAULT_REPORTS_PER_DEVICE_DAY,
      perAddressHour: o.perAddressHour ?? DEFAULT_REPORTS_PER_ADDRESS_HOUR,
      receiptMissesPerAddressHour: o.receiptMissesPerAddressHour ?? DEFAULT_RECEIPT_MISSES_PER_ADDRESS_HOUR,
    };
    const retentionMs = (o.contactRetentionDays ?? DEFAULT_REPORT_CONTACT_RETENTION_DAYS) * DAY_MS;
    const repo = new ReportRepo(app.ops.db, {
      stationName: (id, lang) => {
        const c = app.registry.get(id)?.config;
        return c && (lang === 'en' ? (c.nameEn ?? c.name) : c.name);
      },
      townshipName: (code, lang) => {
        const t = app.hierarchy.get(code);
        return t && (lang === 'en' ? t.nameEn : t.nameZh);
      },
    });
    const follow = async (order: { id: number; state: string }, at = Date.now()) => {
      try {
        const changed = await followOrder(repo, order, at);
        for (const r of changed)
          if (order.state === 'verified' || order.state === 'closed')
            app.metrics.riderReports.inc({ category: r.category, outcome: 'resolved' });
      } catch (err) {
        app.metrics.storeErrors.inc({ what: 'rider_reports' });
        log.error(
          { err, workOrder: order.id },
          'report not updated from its work order; it is again when read',
        );
      }
    };
    const retention = async (now = Date.now()) => {
      const k = await applyContactRetention(app.ops.db, retentionMs, now);
      app.metrics.riderReportContactsDeleted.inc(k);
      if (k) log.info({ deleted: k, retentionMs }, 'rider contact data past retention deleted');
      return k;
    };
    app.decorate('riderReports', {
      repo,
      limits,
      limiters: limiters(limits),
      retentionMs,
      follow,
      retention,
    });
    if (app.hasDecorator('workOrders')) app.workOrders.events.on('change', (wo) => void follow(wo));
    let timer: NodeJS.Timeout | undefined;
    const run = () =>
      retention().catch((err: unknown) => {
        app.metrics.storeErrors.inc({ what: 'rider_report_retention' });
        log.error({ err }, 'rider contact retention failed; retried in an hour');
      });
    app.addHook('onReady', async () => {
      await run();
      timer = setInterval(() => void run(), REPORT_RETENTION_INTERVAL_MS);
      timer.unref();
    });
    app.shutdown.add(5, 'rider-report retention', () => {
      clearInterval(timer);
      return Promise.resolve();
    });
    done();
  },
  { name: 'yizhan-rider-reports', dependencies: ['yizhan-core', 'yizhan-ops-store', 'yizhan-work-orders'] },
);
