/**
 * Response metrics: how fast alerts are acknowledged and resolved, work orders by state, SLA
 * breaches. Label sets are bounded: `township` by the townships of the station files, `rule` by the
 * rules the engine runs, `state` and `severity` by fixed lists.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { ALL_STATES, slaBreached } from './repo.js';

/** Seconds from fire to acknowledgement/resolve: a minute to a few days. */
const BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 259_200];

export function createResponseMetrics(registry: Registry) {
  const r = [registry];
  return {
    ackSeconds: new Histogram({
      name: 'yizhan_alert_ack_seconds',
      help: 'Seconds from an alert firing (station time) to its first acknowledgement',
      labelNames: ['township', 'rule'] as const,
      buckets: BUCKETS,
      registers: r,
    }),
    resolveSeconds: new Histogram({
      name: 'yizhan_alert_resolve_seconds',
      help: 'Seconds from an alert firing to its resolve (station time)',
      labelNames: ['township', 'rule'] as const,
      buckets: BUCKETS,
      registers: r,
    }),
    workOrders: new Gauge({
      name: 'yizhan_work_orders',
      help: 'Work orders per township by state (refreshed from the operations store)',
      labelNames: ['township', 'state'] as const,
      registers: r,
    }),
    slaBreaches: new Counter({
      name: 'yizhan_work_order_sla_breaches_total',
      help: 'Work orders not fixed by their SLA due time (counted once per order)',
      labelNames: ['township', 'severity'] as const,
      registers: r,
    }),
  };
}
export type ResponseMetrics = ReturnType<typeof createResponseMetrics>;

/** Refill the state gauge from the store. */
export async function refreshWorkOrderGauge(db: Kysely<Database>, m: ResponseMetrics): Promise<void> {
  const rows = await db
    .selectFrom('work_orders')
    .select((eb) => ['township', 'state', eb.fn.countAll<number>().as('n')])
    .groupBy(['township', 'state'])
    .execute();
  m.workOrders.reset();
  const townships = new Set(rows.map((r) => r.township));
  // Every state of every township that has orders, so a state emptied shows 0 rather than vanishing.
  for (const township of townships) for (const state of ALL_STATES) m.workOrders.set({ township, state }, 0);
  for (const r of rows) m.workOrders.set({ township: r.township, state: r.state }, Number(r.n));
}

/**
 * Count the orders newly past their SLA (not fixed by due time), once each: the row is marked
 * (sla_counted 1) and the counter raised after the mark commits. Orders fixed in time are marked 2
 * so later sweeps skip them. Returns how many breaches were counted.
 */
export async function countSlaBreaches(
  db: Kysely<Database>,
  m: ResponseMetrics,
  now: number,
): Promise<number> {
  const late = await db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('work_orders')
      .select(['id', 'township', 'severity', 'due_at', 'fixed_at', 'closed_at'])
      .where('sla_counted', '=', 0)
      .where('due_at', '<', now)
      .execute();
    const breached = rows.filter((r) => slaBreached(r, now));
    const inTime = rows.filter((r) => !slaBreached(r, now));
    const mark = async (ids: number[], v: number) => {
      if (ids.length)
        await trx.updateTable('work_orders').set({ sla_counted: v }).where('id', 'in', ids).execute();
    };
    await mark(
      breached.map((r) => r.id),
      1,
    );
    await mark(
      inTime.map((r) => r.id),
      2,
    );
    return breached;
  });
  for (const r of late) m.slaBreaches.inc({ township: r.township, severity: r.severity });
  return late.length;
}
